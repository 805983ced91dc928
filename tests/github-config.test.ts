/**
 * Every validation message of the GitHub organization's config (idp:github seeding keys, team names,
 * the self-service and delivery Apps' secrets), exactly; and what config becomes for the component.
 */
import * as assert from "node:assert/strict";
import { githubArgsFrom } from "../stacks/args";
import { parseConfig } from "../stacks/config";
import { PROFILES } from "../stacks/profiles";
import { editedConfig, type StackConfigObject, configProblems } from "./harness";

const problems = configProblems;

function github(config: StackConfigObject): Record<string, unknown> {
  return config.values["idp:github"] as Record<string, unknown>;
}

function settings(config: StackConfigObject): Record<string, Record<string, unknown>> {
  return github(config)["environmentSettings"] as Record<string, Record<string, unknown>>;
}

describe("GitHub organization config", () => {
  it("requires both automation Apps' client IDs on the stack that manages the organization", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        delete github(c)["selfServiceAppClientId"];
        delete github(c)["deliveryAppClientId"];
      }),
      [
        `Invalid config idp:github.selfServiceAppClientId: is required when idp:github.manageOrganization is true. Fix: pulumi config set --path 'idp:github.selfServiceAppClientId' Iv23liEXAMPLE0000001`,
        `Invalid config idp:github.deliveryAppClientId: is required when idp:github.manageOrganization is true. Fix: pulumi config set --path 'idp:github.deliveryAppClientId' Iv23liEXAMPLE0000002`,
      ],
    );
  });

  it("rejects something that is not a GitHub App client ID", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        github(c)["deliveryAppClientId"] = "123456";
      }),
      [
        `Invalid config idp:github.deliveryAppClientId: must be a GitHub App client ID, which starts with Iv, such as Iv23liABCDEFGH123456 (the App's settings page, About) (got string "123456"). Fix: pulumi config set --path 'idp:github.deliveryAppClientId' Iv23liEXAMPLE0000002`,
      ],
    );
  });

  it("requires both automation Apps' keys as secrets on the stack that manages the organization", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        delete c.values["idp:githubSelfServiceAppPrivateKey"];
        delete c.values["idp:githubDeliveryAppPrivateKey"];
      }),
      [
        `Invalid config idp:githubSelfServiceAppPrivateKey: is required because idp:github.manageOrganization is true. Fix: pulumi config set --stack dev --secret idp:githubSelfServiceAppPrivateKey <value>, which stores it encrypted in Pulumi.dev.yaml (PEM private key of the self-service GitHub App (idp:github.selfServiceAppClientId). Required when idp:github.manageOrganization is true.)`,
        `Invalid config idp:githubDeliveryAppPrivateKey: is required because idp:github.manageOrganization is true. Fix: pulumi config set --stack dev --secret idp:githubDeliveryAppPrivateKey <value>, which stores it encrypted in Pulumi.dev.yaml (PEM private key of the delivery GitHub App (idp:github.deliveryAppClientId). Required when idp:github.manageOrganization is true.)`,
      ],
    );
  });

  it("asks nothing of the stacks that do not manage the organization", () => {
    const config = parseConfig(editedConfig("prod", () => undefined));
    assert.equal(config.settings.github.manageOrganization, false);
    assert.equal(config.settings.github.selfServiceAppClientId, undefined);
    const args = githubArgsFrom(config, "prod");
    // The repositories by name, and its own environment's folder, which every stack writes itself.
    assert.deepEqual(Object.keys(args).sort(), [
      "environmentFolder",
      "managementRepository",
      "templateRepository",
    ]);
    assert.deepEqual(
      [args.managementRepository, args.templateRepository],
      ["platform-management", "app-template"],
    );
    assert.equal(args.organization, undefined);
    assert.deepEqual(
      {
        ...args.environmentFolder.layout,
        environment: {
          ...args.environmentFolder.layout.environment,
          profile: args.environmentFolder.layout.environment.profile.name,
        },
      },
      {
        owner: "fixture-org",
        managementRepository: "platform-management",
        environment: { name: "prod", domain: "fixture.example.test", profile: "prod" },
        firstEnvironment: "dev",
        teams: [
          { slug: "core", name: "Core" },
          { slug: "orders", name: "Orders" },
          { slug: "search", name: "Search" },
        ],
        apps: [
          { name: "orders-api", team: "orders", database: true },
          { name: "search-ui", team: "search", database: false },
        ],
      },
    );
    assert.equal(args.environmentFolder.auth.kind, "app");
  });

  it("requires the domain of every other environment on the seeding stack", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        delete settings(c)["prod"];
      }),
      [
        `Invalid config idp:github.environmentSettings.prod.domain: is required because this stack seeds every environment's folder of the management repository (idp:github.manageOrganization is true). Fix: pulumi config set --path 'idp:github.environmentSettings.prod.domain' prod.idp.example.com`,
      ],
    );
  });

  it("requires a profile for an environment not named like a profile", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        github(c)["environments"] = ["dev", "qa", "staging", "prod"];
      }),
      [
        `Invalid config idp:github.environmentSettings.qa.domain: is required because this stack seeds every environment's folder of the management repository (idp:github.manageOrganization is true). Fix: pulumi config set --path 'idp:github.environmentSettings.qa.domain' qa.idp.example.com`,
        `Invalid config idp:github.environmentSettings.qa.profile: is required because "qa" is not a profile name (dev, staging, prod). Fix: pulumi config set --path 'idp:github.environmentSettings.qa.profile' staging`,
      ],
    );
    assert.deepEqual(
      problems("dev", (c) => {
        github(c)["environments"] = ["dev", "qa", "staging", "prod"];
        settings(c)["qa"] = { domain: "qa.idp.acme.example" };
      }),
      [
        `Invalid config idp:github.environmentSettings.qa.profile: is required because "qa" is not a profile name (dev, staging, prod). Fix: pulumi config set --path 'idp:github.environmentSettings.qa.profile' staging`,
      ],
    );
  });

  it("rejects settings of an unknown environment and of the stack's own environment", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        settings(c)["qa"] = { domain: "qa.idp.acme.example", profile: "staging" };
        settings(c)["dev"] = { domain: "idp.localtest.me" };
      }),
      [
        `Invalid config idp:github.environmentSettings.qa: names an environment that is not in idp:github.environments (dev, staging, prod). Fix: pulumi config rm --path 'idp:github.environmentSettings.qa'`,
        `Invalid config idp:github.environmentSettings.dev: describes this stack's own environment, which idp:domain and idp:profile already describe. Fix: pulumi config rm --path 'idp:github.environmentSettings.dev'`,
      ],
    );
  });

  it("rejects a malformed domain of another environment", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        settings(c)["staging"] = { domain: "Staging" };
      }),
      [
        `Invalid config idp:github.environmentSettings.staging.domain: must be a lowercase DNS name with at least two labels, such as dev.idp.example.com (got string "Staging"). Fix: pulumi config set --path 'idp:github.environmentSettings.staging.domain' staging.idp.example.com`,
      ],
    );
  });

  it("rejects a repository visibility GitHub does not offer for these repositories", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        github(c)["repositoryVisibility"] = "public";
      }),
      [
        `Invalid config idp:github.repositoryVisibility: expected one of "private", "internal", got string "public". Fix: pulumi config set --path 'idp:github.repositoryVisibility' private`,
      ],
    );
  });

  it("rejects a team name from which GitHub would derive another slug", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        (c.values["idp:teams"] as Array<Record<string, unknown>>)[1]!["name"] = "Payments Team";
      }),
      [
        `Invalid config idp:teams[1].name: "Payments Team" gives the GitHub team slug "payments-team", not "orders" (GitHub derives a team's slug from its name). Fix: in Pulumi.yaml, set idp:teams[1].name (under config: idp:teams: default:, shared by every stack) to Orders`,
      ],
    );
  });

  it("hands the component every environment in promotion order with its own domain and profile", () => {
    const config = parseConfig(editedConfig("dev", () => undefined));
    const args = githubArgsFrom(config, "dev");
    const organization = args.organization!;
    assert.deepEqual(
      organization.environments.map((e) => [e.name, e.domain, e.profile]),
      [
        ["dev", "dev.fixture.example.test", PROFILES.dev],
        ["staging", "staging.fixture.example.test", PROFILES.staging],
        ["prod", "fixture.example.test", PROFILES.prod],
      ],
    );
    assert.equal(organization.auth.kind, "token");
    assert.equal(organization.selfServiceApp.clientId, "Iv23liFIXTURESELF001");
    assert.equal(organization.repositoryVisibility, "private");
    assert.deepEqual(
      organization.teams.map((t) => [t.slug, t.name, t.platformAdmin]),
      [
        ["core", "Core", true],
        ["orders", "Orders", false],
        ["search", "Search", false],
      ],
    );
  });
});
