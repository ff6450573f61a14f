// Each function makes the description inert in one language's string context. Templates never
// put it anywhere else (no JSX text, no Vue or Svelte markup, where `{` would start an expression).

const JS_UNSAFE = /[<>&\u2028\u2029]/g;

/**
 * A JavaScript string literal. `<`, `>` and `&` are escaped as well, so the literal cannot
 * close a `<script>` element or a `.vue`/`.svelte` script block it sits in.
 */
export function jsString(value: string): string {
  return JSON.stringify(value).replace(JS_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or a quoted attribute value in HTML. */
export function htmlText(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/**
 * A double-quoted Python string literal holding only printable ASCII: anything else is an
 * escape (`\uXXXX`, or `\UXXXXXXXX` above the BMP, since Python does not pair surrogate escapes).
 */
export function pyString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}
