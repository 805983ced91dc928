/**
 * The project's Renovate config groups what must move together; a group naming a dependency that the
 * versions module no longer declares would silently stop grouping it.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../synth/stack-files";

type Rule = { groupName?: string; matchDepNames?: string[] };

/** Every `depName` the versions module's Renovate comments declare. */
function declaredDepNames(): string[] {
  const source = fs.readFileSync(path.join(PROJECT_ROOT, "components", "versions.ts"), "utf8");
  return [...source.matchAll(/\/\/ renovate: datasource=\S+ depName=(\S+)/g)].map((m) => m[1]!);
}

/** Renovate's matchDepNames: exact names, or globs with `*`. */
function matches(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\/]/g, "\\$&").replace(/\*/g, ".*")}$`);
  return regex.test(name);
}

describe("renovate.json", () => {
  const rules = (
    JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "renovate.json"), "utf8")) as { packageRules: Rule[] }
  ).packageRules;

  it("groups releases that must stay equal, each name one the versions module declares", () => {
    const declared = declaredDepNames();
    const groups = ["schemahero", "argo-cd", "provider-aws family"];
    for (const group of groups) {
      const rule = rules.find((r) => r.groupName === group);
      assert.ok(rule?.matchDepNames, `a ${group} group`);
      for (const pattern of rule.matchDepNames) {
        assert.ok(
          declared.some((name) => matches(pattern, name)),
          `${group}: ${pattern} matches a depName in components/versions.ts`,
        );
      }
    }
    // Every member of the AWS family is in its group.
    const family = rules.find((r) => r.groupName === "provider-aws family")!.matchDepNames!;
    for (const name of declared.filter(
      (n) => n.includes("/provider-aws-") || n.endsWith("/provider-family-aws"),
    )) {
      assert.ok(
        family.some((pattern) => matches(pattern, name)),
        name,
      );
    }
  });
});
