// Small DOM helpers. User text only ever goes through `textContent`.

/** The element with `id`, which must exist and be an instance of `type`. */
export function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) {
    throw new Error(`#${id} is missing from the page or is not a ${type.name}`);
  }
  return found;
}

/** A new `tag` element with an optional class and text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text = "",
): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  if (className) {
    created.className = className;
  }
  if (text) {
    created.textContent = text;
  }
  return created;
}

/** Calls `handler` with the form's submissions, the page staying where it is. */
export function onSubmit(form: HTMLFormElement, handler: () => void): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    handler();
  });
}
