/**
 * Asks for the tasks of a profile: the prompt says what the function takes per task (from its
 * signature), the expression is checked with the Python parser as it is typed (Enter does
 * nothing until it parses), and a title-bar button saves it as the function's
 * `# conclens: tasks=` comment, which fills the box in next time.
 */
import * as vscode from 'vscode';
import { functionParameters, tasksCommentPlace, tasksExpressionProblem, tasksPrompt } from './tasksExpression';

export interface TasksAnswer {
  tasks: string;
  /** The user asked to keep it as the function's `# conclens: tasks=` comment. */
  saveAsComment: boolean;
}

export const SAVE_AS_COMMENT = 'Save as a "# conclens: tasks=" comment above the function, then profile';

export async function askForTasks(document: vscode.TextDocument, name: string, initial: string): Promise<TasksAnswer | undefined> {
  const parameters = (await functionParameters(document.getText(), name)) ?? [];
  const prompt = tasksPrompt(name, parameters);
  const box = vscode.window.createInputBox();
  box.title = `Profile ${name} under pools`;
  box.prompt = `${prompt.text}. A "# conclens: tasks=…" comment above ${name} fills this in; the comment button saves one.`;
  box.placeholder = prompt.example;
  box.value = initial;
  box.ignoreFocusOut = true;
  const saveButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('comment'), tooltip: SAVE_AS_COMMENT };
  box.buttons = [saveButton];
  // Checks run asynchronously: only the answer for the text still in the box counts.
  let checked = Promise.resolve<string | undefined>(undefined);
  const check = (value: string) => {
    checked = tasksExpressionProblem(value);
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

/** Writes (or rewrites) the `# conclens: tasks=` comment of `name`; false when the function is gone. */
export async function saveTasksComment(document: vscode.TextDocument, name: string, tasks: string): Promise<boolean> {
  const place = tasksCommentPlace(document.getText(), name);
  if (!place) return false;
  const edit = new vscode.WorkspaceEdit();
  const comment = `# conclens: tasks=${tasks.replace(/\s*\n\s*/g, ' ')}`;
  if (place.replace) edit.replace(document.uri, document.lineAt(place.line).range, comment);
  else edit.insert(document.uri, new vscode.Position(place.line, 0), `${comment}\n`);
  return vscode.workspace.applyEdit(edit);
}
