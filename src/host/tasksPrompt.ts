/**
 * Asks for the tasks of a profile: the prompt says what the function takes per task (from its
 * signature), the expression is checked with the language's parser as it is typed (Enter does
 * nothing until it parses), and a title-bar button saves it as the function's
 * `# conclens: tasks=` comment (`// conclens: tasks=` in JavaScript and TypeScript), which
 * fills the box in next time.
 */
import * as vscode from 'vscode';
import { exportedFunctions, type ExportedFunction } from '../profiler/node/exported-functions';
import { nodeTasksExpressionProblem, nodeTasksPrompt } from './nodeTasksExpression';
import { functionParameters, tasksCommentPlace, tasksExpressionProblem, tasksPrompt, type TasksPrompt } from './tasksExpression';

/** What the prompt needs of the function's language. */
export interface TasksLanguage {
  /** "Python", "JavaScript": named in messages. */
  name: string;
  /** How the tasks comment starts: "#", "//". */
  commentStart: string;
  prompt: TasksPrompt;
  /** Why the text is not one expression of the language, or undefined. */
  problem(text: string): Promise<string | undefined>;
  /** Where the function's tasks comment goes in `source`; undefined when the function is gone. */
  commentPlace(source: string): { line: number; replace: boolean } | undefined;
}

export async function pythonTasksLanguage(document: vscode.TextDocument, name: string): Promise<TasksLanguage> {
  const parameters = (await functionParameters(document.getText(), name)) ?? [];
  return { name: 'Python', commentStart: '#', prompt: tasksPrompt(name, parameters), problem: tasksExpressionProblem, commentPlace: (source) => tasksCommentPlace(source, name) };
}

/** For an exported JavaScript or TypeScript function: its comment sits above its definition. */
export function nodeTasksLanguage(document: vscode.TextDocument, fn: ExportedFunction): TasksLanguage {
  return {
    name: 'JavaScript',
    commentStart: '//',
    prompt: nodeTasksPrompt(fn.name, fn.parameters),
    problem: (text) => Promise.resolve(nodeTasksExpressionProblem(text)),
    commentPlace: (source) => {
      const found = exportedFunctions(source, document.uri.fsPath).find((candidate) => candidate.name === fn.name);
      if (!found) return undefined;
      return found.tasksLine === null ? { line: found.line, replace: false } : { line: found.tasksLine, replace: true };
    },
  };
}

export interface TasksAnswer {
  tasks: string;
  /** The user asked to keep it as the function's `# conclens: tasks=` comment. */
  saveAsComment: boolean;
}

export async function askForTasks(name: string, initial: string, language: TasksLanguage): Promise<TasksAnswer | undefined> {
  const { prompt, commentStart } = language;
  const box = vscode.window.createInputBox();
  box.title = `Profile ${name} under pools`;
  box.prompt = `${prompt.text}. A "${commentStart} conclens: tasks=…" comment above ${name} fills this in; the comment button saves one.`;
  box.placeholder = prompt.example;
  box.value = initial;
  box.ignoreFocusOut = true;
  const saveButton: vscode.QuickInputButton = {
    iconPath: new vscode.ThemeIcon('comment'),
    tooltip: `Save as a "${commentStart} conclens: tasks=" comment above the function, then profile`,
  };
  box.buttons = [saveButton];
  // Checks run asynchronously: only the answer for the text still in the box counts.
  let checked = Promise.resolve<string | undefined>(undefined);
  const check = (value: string) => {
    checked = language.problem(value);
    void checked.then((problem) => {
      if (box.value === value) box.validationMessage = problem;
    });
    return checked;
  };
  return new Promise<TasksAnswer | undefined>((resolve) => {
    let answered = false;
    const finish = async (saveAsComment: boolean) => {
      const value = box.value;
      if ((await check(value)) !== undefined || answered) return;
      answered = true;
      resolve({ tasks: value.trim(), saveAsComment });
      box.hide();
    };
    box.onDidChangeValue((value) => void check(value));
    box.onDidAccept(() => void finish(false));
    box.onDidTriggerButton((button) => {
      if (button === saveButton) void finish(true);
    });
    box.onDidHide(() => {
      box.dispose();
      if (!answered) resolve(undefined);
    });
    if (initial) void check(initial);
    box.show();
  });
}

/** Writes (or rewrites) the function's tasks comment; false when the function is gone. */
export async function saveTasksComment(document: vscode.TextDocument, tasks: string, language: TasksLanguage): Promise<boolean> {
  const place = language.commentPlace(document.getText());
  if (!place) return false;
  const edit = new vscode.WorkspaceEdit();
  const comment = `${language.commentStart} conclens: tasks=${tasks.replace(/\s*\n\s*/g, ' ')}`;
  if (place.replace) edit.replace(document.uri, document.lineAt(place.line).range, comment);
  else edit.insert(document.uri, new vscode.Position(place.line, 0), `${comment}\n`);
  return vscode.workspace.applyEdit(edit);
}
