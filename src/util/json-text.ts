/** Reading the JSON files users edit (keysets, CARD.json, vector files). */

/**
 * JSON.parse of a file's text, accepting a UTF-8 byte order mark at the start (editors on
 * Windows write one; RFC 8259 cl. 8.1 lets a parser ignore it).
 */
export function parseJsonText(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
