/**
 * The docs stay true where they can be checked: every relative link of the README and docs/ resolves, and
 * the bootstrap runbook sets exactly the secrets each stack requires.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseConfig } from "../stacks/config";
import { PROMOTION_ORDER } from "../stacks/promotion";
import { requiredSecrets } from "../stacks/schema";
import { listStacks, loadStackConfig, PROJECT_ROOT } from "../synth/stack-files";

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(full);
    return entry.name.endsWith(".md") ? [full] : [];
  });
}

/** GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

describe("docs", () => {
  const files = [path.join(PROJECT_ROOT, "README.md"), ...markdownFiles(path.join(PROJECT_ROOT, "docs"))];

  it("link only to files and headings that exist", () => {
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8");
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        const [relative, fragment] = target.split("#") as [string, string | undefined];
        const resolved = relative === "" ? file : path.resolve(path.dirname(file), relative);
        const where = `${path.relative(PROJECT_ROOT, file)} → ${target}`;
        assert.ok(fs.existsSync(resolved), where);
        if (fragment !== undefined && resolved.endsWith(".md")) {
          const headings = [...fs.readFileSync(resolved, "utf8").matchAll(/^#+ (.+)$/gm)].map((m) =>
            anchor(m[1]!),
          );
          assert.ok(headings.includes(fragment), `${where}: no heading #${fragment}`);
        }
      }
    }
  });

  it("index every runbook in docs/runbooks.md", () => {
    const index = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "runbooks.md"), "utf8");
    for (const file of fs.readdirSync(path.join(PROJECT_ROOT, "docs", "runbooks"))) {
      assert.ok(index.includes(`](runbooks/${file})`), file);
    }
  });
});

describe("bootstrap runbook", () => {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "runbooks", "bootstrap.md"), "utf8");

  it("sets exactly the secrets each stack requires", () => {
    assert.deepEqual([...PROMOTION_ORDER].sort(), listStacks());
    for (const stack of listStacks()) {
      const required = requiredSecrets(parseConfig(loadStackConfig(stack)).settings).map((s) => s.key);
      const documented = [
        ...text.matchAll(new RegExp(`pulumi config set --secret --stack ${stack} idp:(\\w+)`, "g")),
      ].map((m) => m[1]);
      assert.deepEqual(documented.sort(), [...required].sort(), stack);
    }
  });
});
