import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes `<dir>/<name>.json` (the report) and `<dir>/<name>.md`, formatted with the
 * repository's prettier options so `prettier --check .` stays clean, prints the markdown and
 * says what it wrote. Returns the markdown as written.
 */
export async function writeResultFiles(dir, name, report, md) {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  let mdOut = md;
  let jsonOut = json;
  try {
    const prettier = await import('prettier');
    // With the repository's options (print width 100), as `prettier --check` applies them.
    const format = async (text, file) =>
      prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
    mdOut = await format(md, path.join(dir, `${name}.md`));
    jsonOut = await format(json, path.join(dir, `${name}.json`));
  } catch {
    // prettier is a root devDependency; without it the files are merely unformatted
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), jsonOut);
  fs.writeFileSync(path.join(dir, `${name}.md`), mdOut);
  console.log(`\n${mdOut}`);
  console.log(`wrote bench/results/${name}.json and bench/results/${name}.md`);
  return mdOut;
}
