/**
 * `idp:argocd`, `idp:schemahero` and `idp:argocdDexClientSecret`: every validation message, exactly, and
 * the mapping from config to the GitOps arguments of Platform.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { gitOpsSettingsFrom } from "../stacks/args";
import { parseConfig } from "../stacks/config";
import { editedConfig, setSecret, configProblems } from "./harness";

const problems = configProblems;

const requiredDexSecret = (stack: string) =>
  `Invalid config idp:argocdDexClientSecret: is required because idp:argocd.sso is set. Fix: pulumi config set --stack ${stack} --secret idp:argocdDexClientSecret <value>, which stores it encrypted in Pulumi.${stack}.yaml (Client secret of the GitHub OAuth App of idp:argocd.sso.clientId (Dex's GitHub connector). Required when idp:argocd.sso is set.)`;

describe("GitOps config", () => {
  it("rejects a client ID that is not a GitHub OAuth App's", () => {
    assert.deepEqual(
      problems("staging", (c) => {
        c.values["idp:argocd"] = { sso: { clientId: "nope" } };
      }),
      [
        `Invalid config idp:argocd.sso.clientId: must be the client ID of a GitHub OAuth App, such as Ov23liABCDEFGH123456 (the App's settings page) (got string "nope"). Fix: pulumi config set --path 'idp:argocd.sso.clientId' Ov23liABCDEFGH123456`,
      ],
    );
  });

  it("requires the client ID when sso is set", () => {
    assert.deepEqual(
      problems("staging", (c) => {
        c.values["idp:argocd"] = { sso: {} };
      }),
      [
        "Invalid config idp:argocd.sso.clientId: is required but not set. Fix: pulumi config set --path 'idp:argocd.sso.clientId' Ov23liABCDEFGH123456",
      ],
    );
  });

  it("requires Dex's client secret when sso is set", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:argocd"] = { sso: { clientId: "Ov23liARGOCDDEV00001" }, webhook: false };
      }),
      [requiredDexSecret("dev")],
    );
    assert.deepEqual(
      problems("staging", (c) => {
        delete c.values["idp:argocdDexClientSecret"];
        c.secretKeys.delete("idp:argocdDexClientSecret");
      }),
      [requiredDexSecret("staging")],
    );
  });

  it("rejects Dex's client secret in plaintext", () => {
    assert.deepEqual(
      problems("staging", (c) => {
        c.secretKeys.delete("idp:argocdDexClientSecret");
      }),
      [
        "Invalid config idp:argocdDexClientSecret: is a secret but is stored in plaintext. Fix: pulumi config rm idp:argocdDexClientSecret && pulumi config set --secret idp:argocdDexClientSecret <value>",
      ],
    );
  });

  it("rejects a webhook flag that is not a boolean, and unknown keys", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:argocd"] = { webhook: "yes" };
      }),
      [
        `Invalid config idp:argocd.webhook: expected boolean, got string "yes". Fix: pulumi config set --path 'idp:argocd.webhook' true`,
      ],
    );
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:argocd"] = { webhok: false };
      }),
      [
        `Invalid config idp:argocd.webhok: unknown key (did you mean "webhook"?). Fix: pulumi config rm --path 'idp:argocd.webhok'`,
      ],
    );
  });

  it("rejects a plugin registry with a scheme, a bad tag, and a tag without a registry", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:schemahero"] = { pluginRegistry: "https://registry.example.com/x" };
      }),
      [
        `Invalid config idp:schemahero.pluginRegistry: must be an OCI repository path without a tag, such as registry.example.com/mirror/schemahero/plugin (got string "https://registry.example.com/x"). Fix: pulumi config set --path 'idp:schemahero.pluginRegistry' registry.example.com/mirror/schemahero/plugin`,
      ],
    );
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:schemahero"] = { pluginRegistry: "registry.example.com/x", pluginTag: "bad tag" };
      }),
      [
        `Invalid config idp:schemahero.pluginTag: must be an OCI tag such as 0 or 0.0.1 (got string "bad tag"). Fix: pulumi config set --path 'idp:schemahero.pluginTag' 0`,
      ],
    );
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:schemahero"] = { pluginTag: "0" };
      }),
      [
        "Invalid config idp:schemahero.pluginRegistry: is required by idp:schemahero.pluginTag (SchemaHero's own registry is always read at tag 0), or remove pluginTag. Fix: pulumi config set --path 'idp:schemahero.pluginRegistry' registry.example.com/mirror/schemahero/plugin",
      ],
    );
  });

  it("defaults to the webhook on, no SSO and SchemaHero's own plugin registry", () => {
    const config = parseConfig(
      editedConfig("dev", (c) => {
        delete c.values["idp:argocd"];
        delete c.values["idp:schemahero"];
      }),
    );
    assert.deepEqual(config.settings.argocd, { webhook: true });
    assert.deepEqual(config.settings.schemahero, {});
    const settings = gitOpsSettingsFrom(config);
    assert.equal(settings.sso, undefined);
    assert.equal(settings.webhook, true);
    assert.deepEqual(settings.schemaHero, {});
  });

  it("hands Platform the teams, apps, SSO (its secret as a Pulumi secret), webhook and plugin mirror", async () => {
    const config = parseConfig(
      editedConfig("staging", (c) => {
        setSecret(c, "argocdDexClientSecret", "dex-secret-value");
        c.values["idp:schemahero"] = { pluginRegistry: "registry.acme.example/p", pluginTag: "0.0.1" };
      }),
    );
    const settings = gitOpsSettingsFrom(config);
    assert.deepEqual(settings.teams, [
      { slug: "core", platformAdmin: true },
      { slug: "orders", platformAdmin: false },
      { slug: "search", platformAdmin: false },
    ]);
    assert.deepEqual(settings.apps, [
      { name: "orders-api", team: "orders" },
      { name: "search-ui", team: "search" },
    ]);
    assert.equal(settings.sso?.clientId, "Ov23liFIXTURESTAGING");
    assert.equal(await pulumi.isSecret(pulumi.output(settings.sso.clientSecret)), true);
    assert.equal(settings.webhook, true);
    assert.deepEqual(settings.schemaHero, { pluginRegistry: "registry.acme.example/p", pluginTag: "0.0.1" });
    assert.equal(gitOpsSettingsFrom(parseConfig(editedConfig("dev", () => undefined))).webhook, false);
  });
});
