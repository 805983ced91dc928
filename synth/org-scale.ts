/**
 * Generated organizations for the scale comparison of `npm run bench` and its non-timed test: the dev
 * stack with N teams and M apps instead of the project's own, in a temporary project root.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { PROJECT_ROOT } from "./stack-files";

export interface OrgSize {
  readonly teams: number;
  readonly apps: number;
}

export const SMALL_ORG: OrgSize = { teams: 10, apps: 50 };
export const LARGE_ORG: OrgSize = { teams: 100, apps: 500 };

/** `idp:teams` and `idp:apps` of a generated organization: one admin team, apps round-robin, every third with a database. */
export function orgScaleConfig(size: OrgSize): {
  teams: Array<Record<string, unknown>>;
  apps: Array<Record<string, unknown>>;
} {
  const teams = Array.from({ length: size.teams }, (_, i) => ({
    slug: `team-${String(i).padStart(3, "0")}`,
    ...(i === 0 ? { platformAdmin: true } : {}),
    maintainers: [`maintainer-${i}`],
  }));
  const apps = Array.from({ length: size.apps }, (_, i) => ({
    name: `app-${String(i).padStart(4, "0")}`,
    team: teams[i % teams.length]!.slug,
    database: i % 3 === 0,
  }));
  return { teams, apps };
}

/** A project root with this project's Pulumi.yaml and a dev stack file that declares the generated org. */
export function writeOrgScaleProject(size: OrgSize, stack = "dev"): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `idp-org-${size.teams}x${size.apps}-`));
  fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  const document = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const { teams, apps } = orgScaleConfig(size);
  document.config["idp:teams"] = teams;
  document.config["idp:apps"] = apps;
  fs.writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), YAML.stringify(document));
  return root;
}
