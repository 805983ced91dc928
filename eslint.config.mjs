// Flat config: typescript-eslint with type information, plus Pulumi's rules that catch Outputs used in
// template literals (they render as "Calling [toString] on an Output<T> is not supported").
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  { ignores: ["out/**", "node_modules/**", ".ci/**", "seed/**", "eslint.config.mjs"] },
  {
    files: ["**/*.ts", "components/**/*.js"],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The seeding provider is stored in Pulumi state and loaded by the dynamic-provider host as CommonJS.
    files: ["components/github/seed-provider.js"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
