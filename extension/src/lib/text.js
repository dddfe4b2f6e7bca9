// Pages with fewer words than this are not sent: too little text to say anything about copying.
export const MIN_WORDS = 40;

export function countWords(text) {
  return (text.match(/[\p{L}\p{N}]+/gu) || []).length;
}

// The server counts offsets in code points (Python str indices); JavaScript strings count UTF-16
// units. Returns a table from code-point index to UTF-16 index, or null when the text has no
// astral characters and the two agree.
export function codePointTable(text) {
  if (!/[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text)) return null;
  const table = [];
  let unit = 0;
  for (const ch of text) {
    table.push(unit);
    unit += ch.length;
  }
  table.push(unit);
  return table;
}

// Converts a half-open code-point range into UTF-16 units, clamped to the text; null if empty.
export function toUnitRange(table, text, start, end) {
  const length = table ? table.length - 1 : text.length;
  const s = Math.max(0, Math.min(start, length));
  const e = Math.max(0, Math.min(end, length));
  if (e <= s) return null;
  return table ? [table[s], table[e]] : [s, e];
}
