/**
 * actionlint (with ShellCheck on every `run:` script) on this project's own workflows and on every
 * workflow the fixture stacks seed into GitHub repositories: zero findings. An ignore would go in
 * .github/actionlint.yaml with its reason; there is none.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../synth/stack-files";
import { actionlint } from "./engine";
import { fixtureStack, fixtureStacks, tools } from "./fixtures";

describe("actionlint with ShellCheck", () => {
  it("finds nothing in this project's workflows", () => {
    const workflows = fs.readdirSync(path.join(PROJECT_ROOT, ".github", "workflows"));
    assert.ok(workflows.length >= 2, workflows.join(", "));
    const report = actionlint(tools().actionlint, PROJECT_ROOT);
    assert.deepEqual(report.findings, []);
    assert.equal(report.exitCode, 0);
  });

  it("finds nothing in any workflow a fixture stack seeds", async () => {
    let checked = 0;
    for (const name of fixtureStacks()) {
      const stack = await fixtureStack(name);
      for (const [repository, files] of Object.entries(stack.repositories)) {
        const workflows = Object.keys(files).filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f));
        if (workflows.length === 0) continue;
        const root = fs.mkdtempSync(path.join(os.tmpdir(), `idp-${repository}-`));
        try {
          for (const file of workflows) {
            fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
            fs.writeFileSync(path.join(root, file), files[file]!);
          }
          const report = actionlint(tools().actionlint, root, workflows);
          assert.deepEqual(report.findings, [], `${name}: ${repository}`);
          checked += workflows.length;
        } finally {
          fs.rmSync(root, { recursive: true, force: true });
        }
      }
    }
    assert.ok(checked >= 3, `${checked} seeded workflows checked`);
  });

  it("reports a ShellCheck finding in a seeded script (the check is live)", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "idp-broken-"));
    try {
      fs.mkdirSync(path.join(root, ".github", "workflows"), { recursive: true });
      fs.writeFileSync(
        path.join(root, ".github", "workflows", "broken.yaml"),
        [
          "on: push",
          "jobs:",
          "  build:",
          "    runs-on: ubuntu-24.04",
          "    steps:",
          "      - run: |",
          '          git config user.email "$BOT[bot]@users.noreply.github.com"',
          "",
        ].join("\n"),
      );
      const report = actionlint(tools().actionlint, root, [".github/workflows/broken.yaml"]);
      assert.equal(report.findings.length, 1, report.findings.join("\n"));
      assert.match(report.findings[0]!, /SC1087/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
