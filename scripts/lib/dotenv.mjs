// Minimal .env reader (the dotenv package is not installed yet when npm start begins).
import fs from 'node:fs';

/**
 * Parses KEY=VALUE lines: blank lines and `#` comments are skipped, an optional `export ` prefix
 * is allowed, surrounding single or double quotes are stripped, and an unquoted value ends at
 * ` #` (inline comment). No variable expansion: what is written is what you get.
 */
export function parseDotenv(text) {
  const out = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.lastIndexOf(quote) > 0) {
      value = value.slice(1, value.lastIndexOf(quote));
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    out[m[1]] = value;
  }
  return out;
}

/** Reads `file` when it exists; {} otherwise. */
export function readDotenv(file) {
  return fs.existsSync(file) ? parseDotenv(fs.readFileSync(file, 'utf8')) : {};
}
