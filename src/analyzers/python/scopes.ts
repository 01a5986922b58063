import type { PyNode } from './parser';
import { field, targetNames, walk } from './syntax';

/**
 * Name binding facts gathered before a scope is analyzed, so that the main walk knows at the
 * first use whether `x` is a local, a global, or a local captured by a closure.
 */
export interface ScopeNames {
  locals: Set<string>;
  globals: Set<string>;
  nonlocals: Set<string>;
  /** Names used inside nested functions and lambdas (candidates for capture). */
  usedInside: Set<string>;
  /** Each of them → where the first nested function or lambda that uses it starts. */
  capturedFrom: Map<string, number>;
  nestedDefs: Set<string>;
  params: string[];
  /** Parameter name → annotation text (`a: Account`). */
  annotations: Map<string, string>;
  /** Names the body assigns (a parameter among them no longer holds the caller's value). */
  assigned: Set<string>;
  /** The body's `if` statements, outside nested functions (for param-guards.ts). */
  ifs: PyNode[];
}

const BINDING_PARENTS = new Set(['assignment', 'augmented_assignment', 'for_statement', 'for_in_clause', 'named_expression']);

export function collectParams(parameters: PyNode | undefined, text: string, names: ScopeNames): void {
  if (!parameters) return;
  for (const param of parameters.children) {
    let nameNode: PyNode | undefined;
    let annotation: PyNode | undefined;
    if (param.type === 'identifier') nameNode = param;
    else if (param.type === 'typed_parameter') {
      nameNode = param.children.find((c) => c.type === 'identifier' && c.field === '');
      annotation = field(param, 'type');
    } else if (param.type === 'default_parameter' || param.type === 'typed_default_parameter') {
      nameNode = field(param, 'name');
      annotation = field(param, 'type');
    } else if (param.type === 'list_splat_pattern' || param.type === 'dictionary_splat_pattern') {
      nameNode = param.children.find((c) => c.type === 'identifier');
    }
    if (!nameNode || nameNode.type !== 'identifier') continue;
    const name = text.slice(nameNode.start, nameNode.end);
    names.params.push(name);
    names.locals.add(name);
    if (annotation) names.annotations.set(name, text.slice(annotation.start, annotation.end));
  }
}

/**
 * Collects the names a function (or the module, with `body` = module node) binds. Module
 * names are globals, never captured, so the module skips the walk into nested functions.
 */
export function collectScopeNames(body: PyNode, text: string, names: ScopeNames, isModule = false): void {
  const bound: string[] = [];
  walk(body, (node) => {
    switch (node.type) {
      case 'function_definition':
      case 'class_definition': {
        const name = field(node, 'name');
        if (name) {
          const id = text.slice(name.start, name.end);
          names.locals.add(id);
          if (node.type === 'function_definition') names.nestedDefs.add(id);
        }
        if (!isModule) collectUsedInside(node, text, names);
        return false;
      }
      case 'lambda':
        if (!isModule) collectUsedInside(node, text, names);
        return false;
      case 'global_statement':
      case 'nonlocal_statement':
        for (const child of node.children) {
          if (child.type === 'identifier') {
            (node.type === 'global_statement' ? names.globals : names.nonlocals).add(text.slice(child.start, child.end));
          }
        }
        return false;
      case 'import_statement':
      case 'import_from_statement':
        for (const child of node.children) {
          if (child.field !== 'name') continue;
          const alias = child.type === 'aliased_import' ? field(child, 'alias') : undefined;
          // `import a.b` binds `a`; `from m import a` and `import x as a` bind `a`.
          const bound = alias ?? child;
          if (bound.type === 'dotted_name' || bound.type === 'identifier') names.locals.add(text.slice(bound.start, bound.end).split('.')[0]!.trim());
        }
        return false;
      case 'as_pattern': {
        const alias = field(node, 'alias');
        if (alias) targetNames(alias, bound, text);
        return true;
      }
      case 'except_clause':
        return true;
      default:
        if (node.type === 'if_statement') names.ifs.push(node);
        if (BINDING_PARENTS.has(node.type)) {
          const left = field(node, node.type === 'named_expression' ? 'name' : 'left');
          if (left) targetNames(left, bound, text);
        }
        return true;
    }
  }, true);
  for (const name of bound) {
    names.locals.add(name);
    names.assigned.add(name);
  }
  for (const name of names.globals) names.locals.delete(name);
  for (const name of names.nonlocals) names.locals.delete(name);
}

function collectUsedInside(scope: PyNode, text: string, names: ScopeNames): void {
  walk(scope, (node) => {
    if (node.type !== 'identifier') return true;
    const name = text.slice(node.start, node.end);
    names.usedInside.add(name);
    names.capturedFrom.set(name, Math.min(names.capturedFrom.get(name) ?? scope.start, scope.start));
    return true;
  }, true);
}

export function emptyScopeNames(): ScopeNames {
  return {
    locals: new Set(),
    globals: new Set(),
    nonlocals: new Set(),
    usedInside: new Set(),
    capturedFrom: new Map(),
    nestedDefs: new Set(),
    params: [],
    annotations: new Map(),
    assigned: new Set(),
    ifs: [],
  };
}
