import ts from 'typescript';

/**
 * What types can tell the rules beyond syntax. Each answer is `undefined` when the oracle
 * cannot decide, and the rules then fall back to what the syntax shows (constructor calls,
 * imports, names), so the syntax-only mode and the type-aware mode share one rule code path.
 */
export interface TypeOracle {
  /** A typed-array view whose buffer type is `SharedArrayBuffer` (TS 5.7+ generic typed arrays). */
  isSharedMemoryView(expr: ts.Expression): boolean | undefined;
  /** A `SharedArrayBuffer` value. */
  isSharedArrayBuffer(expr: ts.Expression): boolean | undefined;
  /** An `async-mutex` `Mutex` / `Semaphore` (or their interfaces), by declared type. */
  asyncMutexKind(expr: ts.Expression): 'mutex' | 'semaphore' | 'none' | undefined;
  /** A call whose result is a Promise or any other thenable (a VS Code `Thenable`). */
  returnsThenable(call: ts.CallExpression): boolean | undefined;
}

export const syntaxOnlyOracle: TypeOracle = {
  isSharedMemoryView: () => undefined,
  isSharedArrayBuffer: () => undefined,
  asyncMutexKind: () => undefined,
  returnsThenable: () => undefined,
};

const TYPED_ARRAYS = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);

export function isTypedArrayName(name: string): boolean {
  return TYPED_ARRAYS.has(name);
}

function declaredInAsyncMutex(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some((declaration) => {
    const file = declaration.getSourceFile().fileName.replace(/\\/g, '/');
    if (file.includes('/async-mutex/')) return true;
    // A `declare module 'async-mutex' { ... }` block in a local typings file.
    let current: ts.Node | undefined = declaration.parent;
    while (current) {
      if (ts.isModuleDeclaration(current) && ts.isStringLiteral(current.name) && current.name.text === 'async-mutex') return true;
      current = current.parent;
    }
    return false;
  });
}

/** The oracle of the type-aware mode: answers from a `Program`'s type checker. */
export function checkerOracle(checker: ts.TypeChecker): TypeOracle {
  const typeOf = (expr: ts.Expression): ts.Type | undefined => {
    try {
      return checker.getTypeAtLocation(expr);
    } catch {
      return undefined;
    }
  };
  const isSharedArrayBufferType = (type: ts.Type): boolean => type.getSymbol()?.getName() === 'SharedArrayBuffer';
  return {
    isSharedMemoryView(expr) {
      const type = typeOf(expr);
      const name = type?.getSymbol()?.getName();
      if (!type || !name || !isTypedArrayName(name) || !((type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference)) return undefined;
      const [buffer] = checker.getTypeArguments(type as ts.TypeReference);
      if (!buffer) return undefined;
      if (isSharedArrayBufferType(buffer)) return true;
      // `ArrayBufferLike` (a union) says nothing; a plain `ArrayBuffer` says "not shared".
      return buffer.getSymbol()?.getName() === 'ArrayBuffer' ? false : undefined;
    },
    isSharedArrayBuffer(expr) {
      const type = typeOf(expr);
      return type ? isSharedArrayBufferType(type) : undefined;
    },
    asyncMutexKind(expr) {
      const type = typeOf(expr);
      const symbol = type?.getSymbol() ?? type?.aliasSymbol;
      if (!type || !symbol) return undefined;
      if (!declaredInAsyncMutex(symbol)) return 'none';
      const name = symbol.getName();
      if (name === 'Mutex' || name === 'MutexInterface') return 'mutex';
      if (name === 'Semaphore' || name === 'SemaphoreInterface') return 'semaphore';
      return 'none';
    },
    returnsThenable(call) {
      const type = typeOf(call);
      if (!type) return undefined;
      return type.getProperty('then') !== undefined;
    },
  };
}
