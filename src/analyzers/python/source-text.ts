import type { Span } from './summary';

/** Maps UTF-16 offsets to zero-based lines and columns (CRLF and LF both end a line). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  lineStart(line: number): number {
    return this.starts[line] ?? this.text.length;
  }

  span(start: number, end: number): Span {
    const line = this.line(start);
    const endLine = end === start ? line : this.line(end);
    return { line, col: start - this.starts[line]!, endLine, endCol: end - this.starts[endLine]! };
  }
}
