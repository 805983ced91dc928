/**
 * Every Helm release of every fixture stack against its chart's own values schema, where the chart
 * ships one: a chart bump in components/versions.ts either passes or fails with one line naming the chart,
 * the version and where its schema goes.
 */
import * as assert from "node:assert/strict";
import { CHARTS } from "../components/versions";
import { CHARTS_WITH_VALUES_SCHEMA, chartValuesValidator } from "./chart-schema";
import { editedConfig, hasShared, synthFixture, synthStack } from "./harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const chartName = (chart: string): string => chart.split("/").pop()!;

describe("chart values schemas", () => {
  before(function () {
    if (!hasShared) {
      console.log("      (skipped: ../shared/chart-schemas is not beside this clone)");
      this.skip();
    }
  });

  it("has the schema of every pinned chart that ships one", () => {
    const missing: string[] = [];
    for (const pin of Object.values(CHARTS)) {
      try {
        chartValuesValidator(pin.chart, pin.version);
      } catch (error) {
        missing.push((error as Error).message);
      }
    }
    assert.deepEqual(missing, []);
  });

  it("names the chart, the version and the place of a missing schema in one line", () => {
    assert.throws(
      () => chartValuesValidator("cert-manager", "v0.0.0-missing"),
      /^Error: No values schema on file for the chart cert-manager v0\.0\.0-missing: add its values\.schema\.json at that tag as \.\.\/shared\/chart-schemas\/cert-manager\/v0\.0\.0-missing\/values\.schema\.json \(and a line in INDEX\.md\), then run npm test again$/,
    );
    // A chart that ships no schema is not an error.
    assert.equal(chartValuesValidator("argo-cd", "0.0.0"), undefined);
  });

  // The mirror's image values (versions.ts CHART_IMAGES) too: a misspelt key would leave an image upstream.
  const cases = [
    ...["dev", "staging", "prod"].map((stack) => ({ stack, label: stack, mirror: false })),
    { stack: "prod", label: "prod with idp:mirror", mirror: true },
  ];
  for (const { stack, label, mirror } of cases) {
    it(`${label}: every release's values pass its chart's schema`, async () => {
      const synth = mirror
        ? await synthStack(stack, {
            config: editedConfig(stack, (c) => {
              c.values["idp:mirror"] = { registry: "mirror.example.internal/idp" };
            }),
          })
        : await synthFixture(stack);
      let checked = 0;
      for (const release of synth.ofType(RELEASE)) {
        const inputs = synth.inputs(release);
        const chart = chartName(String(inputs["chart"]));
        const validate = chartValuesValidator(chart, String(inputs["version"]));
        if (validate === undefined) continue;
        checked++;
        assert.deepEqual(validate(inputs["values"] ?? {}), [], `${release.name} (${chart})`);
      }
      assert.ok(checked >= CHARTS_WITH_VALUES_SCHEMA.size, `${stack}: ${checked} releases checked`);
    });
  }
});
