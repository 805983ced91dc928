/**
 * `npm run synth -- <stack> --diff-ref <ref>`: the stack as a git ref builds it against the working tree,
 * on a scratch clone of this repository with an uncommitted change.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { diffAgainstRef, main } from "../synth/cli";
import { PROJECT_ROOT } from "../synth/stack-files";

describe("synth --diff-ref", function () {
  this.timeout(120_000);
  let clone = "";

  before(function () {
    if (!fs.existsSync(path.join(PROJECT_ROOT, ".git"))) {
      console.log("      (skipped: not a git checkout)");
      this.skip();
    }
    clone = fs.mkdtempSync(path.join(os.tmpdir(), "idp-diff-ref-test-"));
    execFileSync("git", ["clone", "--quiet", "--shared", PROJECT_ROOT, clone]);
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
    // An uncommitted change: a fourth team in the project config.
    const project = path.join(clone, "Pulumi.yaml");
    const text = fs.readFileSync(project, "utf8");
    const anchor = "    default:\n      - slug: ";
    assert.ok(text.includes(anchor), "Pulumi.yaml lists teams under idp:teams default");
    fs.writeFileSync(
      project,
      text.replace(anchor, "    default:\n      - slug: search\n        name: Search\n      - slug: "),
    );
  });

  after(() => {
    if (clone !== "") fs.rmSync(clone, { recursive: true, force: true });
  });

  it("shows what the working tree adds to the stack the ref builds, and cleans up its worktree", async () => {
    const text = await diffAgainstRef("dev", "HEAD", { root: clone, preview: false });
    assert.match(text, /^Differences from stack dev@HEAD to stack dev \(working tree\)/);
    assert.match(
      text,
      /Only in dev \(working tree\) \(\d+\):\n(?: {2}.*\n)*? {2}idp:github:GitHubOrganization\$github:index\/team:Team::idp-github-team-search\n/,
    );
    assert.doesNotMatch(text, /Only in dev@HEAD/);
    const worktrees = execFileSync("git", ["worktree", "list"], { cwd: clone, encoding: "utf8" });
    assert.equal(worktrees.trim().split("\n").length, 1, worktrees);
  });

  it("refuses a ref that is not a commit, and --diff with --diff-ref, as usage errors", async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: unknown) => errors.push(String(line));
    try {
      assert.equal(await main(["dev", "--diff-ref", "no-such-ref", "--root", clone]), 2);
      assert.equal(await main(["--diff", "dev", "prod", "--diff-ref", "HEAD"]), 2);
    } finally {
      console.error = original;
    }
    assert.equal(errors[0], `synth: no-such-ref is not a commit of the repository at ${clone}`);
    assert.equal(errors[1], "synth: use either --diff or --diff-ref");
  });
});
