/**
 * `idp:databases`: where SQLDatabases run, and every validation line it can produce, exactly.
 */
import * as assert from "node:assert/strict";
import { parseConfig } from "../stacks/config";
import { databaseMode } from "../stacks/schema";
import { editedConfig, stackConfigObject, toRaw, type StackConfigObject, configProblems } from "./harness";

const problems = configProblems;

function databases(config: StackConfigObject): Record<string, unknown> {
  return config.values["idp:databases"] as Record<string, unknown>;
}

const DEFAULTED = "idp:aws is set, so databases default to rds";

describe("idp:databases", () => {
  it("defaults to rds with idp:aws and to in-cluster without it", () => {
    const mode = (stack: string) => databaseMode(parseConfig(toRaw(stackConfigObject(stack))).settings);
    assert.equal(mode("dev"), "in-cluster");
    assert.equal(mode("staging"), "rds");
    assert.equal(mode("prod"), "rds");
    const staging = parseConfig(
      editedConfig("staging", (c) => {
        c.values["idp:databases"] = { mode: "in-cluster" };
      }),
    );
    assert.equal(databaseMode(staging.settings), "in-cluster");
    assert.deepEqual(staging.settings.databases, {
      mode: "in-cluster",
      clientSecurityGroupIds: [],
      allowedCidrs: [],
    });
  });

  it("requires the VPC, two subnets and a client network for RDS", () => {
    assert.deepEqual(
      problems("staging", (c) => {
        delete c.values["idp:databases"];
      }),
      [
        `Invalid config idp:databases.vpcId: is required for RDS databases (${DEFAULTED}; or set idp:databases.mode to in-cluster). Fix: pulumi config set --path 'idp:databases.vpcId' vpc-0123456789abcdef0`,
        `Invalid config idp:databases.subnetIds[0]: is required: RDS databases need at least two private subnets in different availability zones (${DEFAULTED}). Fix: pulumi config set --path 'idp:databases.subnetIds[0]' subnet-0123456789abcdef0`,
        `Invalid config idp:databases.clientSecurityGroupIds[0]: is required: RDS databases need a client network, the cluster security group here or a CIDR in idp:databases.allowedCidrs (${DEFAULTED}). Fix: pulumi config set --path 'idp:databases.clientSecurityGroupIds[0]' sg-0123456789abcdef0`,
      ],
    );
  });

  it("asks for the second subnet by its index", () => {
    assert.deepEqual(
      problems("prod", (c) => {
        databases(c)["mode"] = "rds";
        databases(c)["subnetIds"] = ["subnet-0f1e2d3c4b5a60711"];
      }),
      [
        `Invalid config idp:databases.subnetIds[1]: is required: RDS databases need at least two private subnets in different availability zones (idp:databases.mode is rds). Fix: pulumi config set --path 'idp:databases.subnetIds[1]' subnet-0123456789abcdef0`,
      ],
    );
  });

  it("accepts a CIDR instead of a security group as the client network", () => {
    const config = parseConfig(
      editedConfig("staging", (c) => {
        databases(c)["clientSecurityGroupIds"] = [];
        databases(c)["allowedCidrs"] = ["10.20.0.0/16"];
      }),
    );
    assert.deepEqual(config.settings.databases?.allowedCidrs, ["10.20.0.0/16"]);
  });

  it("requires idp:aws for rds", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:databases"] = { mode: "rds" };
      }),
      [
        "Invalid config idp:aws.region: is required because idp:databases.mode is rds: the RDS provider works in the stack's AWS account (or set idp:databases.mode to in-cluster). Fix: pulumi config set --path 'idp:aws.region' eu-west-1",
      ],
    );
  });

  it("refuses in-cluster databases where the profile keeps deleted data", () => {
    assert.deepEqual(
      problems("prod", (c) => {
        c.values["idp:databases"] = { mode: "in-cluster" };
      }),
      [
        "Invalid config idp:databases.mode: is in-cluster, which the prod profile does not allow: it keeps deleted databases (dataDeletionPolicy Orphan) and an in-cluster volume cannot; use rds (with idp:aws). Fix: pulumi config set --path 'idp:databases.mode' rds",
      ],
    );
    assert.deepEqual(
      problems("prod", (c) => {
        // A prod stack without AWS at all: ingress-nginx with HTTP-01, secrets in the cluster, no DNS.
        delete c.values["idp:aws"];
        delete c.values["idp:databases"];
        delete c.values["idp:dns"];
        delete c.values["idp:storage"];
        c.values["idp:tls"] = { issuer: "letsencrypt-production", acmeEmail: "platform@acme.example" };
        c.values["idp:ingress"] = { controller: "nginx" };
        c.values["idp:secrets"] = { backend: "kubernetes" };
      }),
      [
        "Invalid config idp:databases.mode: defaults to in-cluster without idp:aws, which the prod profile does not allow: it keeps deleted databases (dataDeletionPolicy Orphan) and an in-cluster volume cannot; use rds (with idp:aws). Fix: pulumi config set --path 'idp:databases.mode' rds",
      ],
    );
  });

  it("rejects malformed ids, CIDRs and modes with what a valid one looks like", () => {
    assert.deepEqual(
      problems("staging", (c) => {
        databases(c)["vpcId"] = "vpc-xyz";
        databases(c)["subnetIds"] = ["subnet-0a1b2c3d4e5f60711", "subnet-a"];
        databases(c)["clientSecurityGroupIds"] = ["sg-0a1b2c3d4e5f60718", "default"];
        databases(c)["allowedCidrs"] = ["10.0.0.0/33"];
      }),
      [
        `Invalid config idp:databases.vpcId: must be a VPC id such as vpc-0123456789abcdef0 (got string "vpc-xyz"). Fix: pulumi config set --path 'idp:databases.vpcId' vpc-0123456789abcdef0`,
        `Invalid config idp:databases.subnetIds[1]: must be a subnet id such as subnet-0123456789abcdef0 (got string "subnet-a"). Fix: pulumi config set --path 'idp:databases.subnetIds[1]' subnet-0123456789abcdef0`,
        `Invalid config idp:databases.clientSecurityGroupIds[1]: must be a security group id such as sg-0123456789abcdef0 (got string "default"). Fix: pulumi config set --path 'idp:databases.clientSecurityGroupIds[1]' sg-0123456789abcdef0`,
        `Invalid config idp:databases.allowedCidrs[0]: must be an IPv4 CIDR such as 10.0.0.0/16 (got string "10.0.0.0/33"). Fix: pulumi config set --path 'idp:databases.allowedCidrs[0]' 10.0.0.0/16`,
      ],
    );
    assert.deepEqual(
      problems("staging", (c) => {
        databases(c)["mode"] = "aurora";
      }),
      [
        `Invalid config idp:databases.mode: expected one of "rds", "in-cluster", got string "aurora". Fix: pulumi config set --path 'idp:databases.mode' rds`,
      ],
    );
    assert.deepEqual(
      problems("staging", (c) => {
        databases(c)["vpcid"] = "vpc-0a1b2c3d4e5f60718";
      }),
      [
        `Invalid config idp:databases.vpcid: unknown key (did you mean "vpcId"?). Fix: pulumi config rm --path 'idp:databases.vpcid'`,
      ],
    );
  });
});
