/**
 * One RFC 4180 line. Cells that a spreadsheet would run as a formula (=, +, -, @) get a
 * leading apostrophe: tags, repository names and audit targets come from whoever pushed or
 * typed them.
 */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
