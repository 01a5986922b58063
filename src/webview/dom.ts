/**
 * The only way views create elements: text goes in through textContent, never as HTML, so
 * function names, paths and exception messages from a trace cannot become markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { className?: string; text?: string; testId?: string; attrs?: Record<string, string> } = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  if (options.text !== undefined) element.textContent = options.text;
  if (options.testId) element.dataset.testid = options.testId;
  for (const [name, value] of Object.entries(options.attrs ?? {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A focusable link-like control that reveals a source location. */
export function siteLink(text: string, label: string, onActivate: () => void): HTMLAnchorElement {
  const link = el('a', { className: 'site', text, attrs: { role: 'button', tabindex: '0', 'aria-label': label } });
  link.addEventListener('click', (e) => {
    e.preventDefault();
    onActivate();
  });
  link.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    onActivate();
  });
  return link;
}
