/**
 * The GitHub Actions workflows the platform seeds:
 * - management repository: `validate` (pull requests: yamllint and kubeconform against the platform's
 *   schemas) and `create-app` (workflow_dispatch: the self-service action a portal calls);
 * - application template: `build` (test, image to GHCR, promotion pull request on the management repo).
 *
 * Written as text so that every pinned action carries its release tag as a comment; tests parse them.
 * Inputs reach shell steps only through `env:`, never through `${{ }}` inside a script (no injection).
 */
import { MANAGEMENT_BRANCH, managementRepoPaths, PLATFORM_HOST_LABELS } from "../conventions";
import { CREATED_APPS_CATALOG } from "./catalog";
import { XR_API_VERSION, XR_GROUP, XR_KINDS, XR_VERSION } from "../crossplane/api";
import { IMMUTABLE_IMAGE_PATTERN } from "../crossplane/xrds";
import { ACTIONS, actionReference, BASE_IMAGES, TOOLS, type ActionPin } from "../versions";
import {
  APP_TOPIC,
  appRuleset,
  AUTOMATION,
  DEFAULT_BRANCH_RULESET,
  firstEnvironment,
  MANAGED_NOTICE,
  VALIDATE_CHECK,
  type OrganizationLayout,
} from "./model";

/** Where the management repository keeps the JSON schemas of the platform's own kinds. */

/**
 * Commits as the App's bot user, attributed to it: GitHub links a commit to an account by the
 * `<user id>+<login>@users.noreply.github.com` address, and an App's bot user is `<slug>[bot]`.
 * Needs BOT (the App's slug) and GH_TOKEN in the step's environment. Indented for a `run: |` block.
 */
const GIT_AS_BOT = [
  'bot_id="$(gh api "users/\${BOT}[bot]" --jq .id)"',
  'git config user.name "\${BOT}[bot]"',
  'git config user.email "\${bot_id}+\${BOT}[bot]@users.noreply.github.com"',
]
  .map((line) => `          ${line}`)
  .join("\n");

export const RESOURCE_SCHEMA_DIR = "platform/schemas";
/** The step of create-app that adds a new app's Backstage and Port entries. */
export const CATALOG_STEP = "Add the app to the catalog";
const CATALOG_DIR = managementRepoPaths.catalog();
/** Where create-app finds the files of a new app, per environment, with `__APP__` and `__TEAM__` in them. */
export const SKELETON_DIR = "platform/skeleton";
export const APP_PLACEHOLDER = "__APP__";
export const TEAM_PLACEHOLDER = "__TEAM__";
export const IMAGE_PLACEHOLDER = "__IMAGE__";
/** Where the catalog entries of a new app are skeletoned (not an environment name: `_` is no DNS label). */
export const CATALOG_SKELETON_DIR = `${SKELETON_DIR}/_catalog`;
export const CATALOG_SKELETON_FILES = {
  backstage: "backstage.yaml",
  backstageWithDatabase: "backstage-with-database.yaml",
  port: "port.json",
  portWithDatabase: "port-with-database.json",
} as const;
/** The skeleton's files per environment: the App without and with a database, and the database's. */
export const SKELETON_FILES = {
  app: "app.yaml",
  appWithDatabase: "app-with-database.yaml",
  database: "database.yaml",
  tables: "tables.yaml",
} as const;

/**
 * `initialImage()` in shell, for create-app: GHCR names are lowercase. Needs OWNER and APP_NAME.
 */
export const INITIAL_IMAGE_SHELL = `ghcr.io/\${OWNER,,}/$APP_NAME:${MANAGEMENT_BRANCH}`;

/**
 * A shell function both create-app (first environment) and the app pipeline's first promotion (the
 * others) use to write an app's folder from the management repository's skeleton, run from its root:
 * `render_app <environment> <team> <app> <image> <database: true|false>`. Image references never hold
 * a `|`, app and team names are DNS labels: safe as sed replacements.
 */
function renderAppFunction(indent: string): string {
  const sub = `-e "s|${APP_PLACEHOLDER}|$3|g" -e "s|${TEAM_PLACEHOLDER}|$2|g"`;
  return [
    "render_app() {",
    `  local folder="environments/$1/apps/$2/$3" skeleton="${SKELETON_DIR}/$1" app_file=${SKELETON_FILES.app}`,
    '  mkdir -p "$folder"',
    `  if [ "$5" = "true" ]; then app_file="${SKELETON_FILES.appWithDatabase}"; fi`,
    `  sed ${sub} -e "s|${IMAGE_PLACEHOLDER}|$4|g" "$skeleton/$app_file" > "$folder/app.yaml"`,
    '  if [ "$5" = "true" ]; then',
    `    for file in ${SKELETON_FILES.database} ${SKELETON_FILES.tables}; do`,
    `      sed ${sub} "$skeleton/$file" > "$folder/$file"`,
    "    done",
    "  fi",
    "}",
  ]
    .map((line) => `${indent}${line}`)
    .join("\n");
}

const RUNNER = "ubuntu-24.04";

function uses(pin: ActionPin): string {
  return `${actionReference(pin)}  # ${pin.ref}`;
}

/**
 * A step that mints an installation token of one of the automation Apps (actions/create-github-app-token),
 * limited to `repositories` when given and to exactly `permissions`. Ends with a newline.
 */
function appTokenStep(step: {
  readonly name: string;
  readonly id: string;
  readonly app: "selfService" | "delivery";
  readonly repositories?: string;
  readonly permissions: Readonly<Record<string, "read" | "write">>;
}): string {
  const [clientId, privateKey] =
    step.app === "selfService"
      ? [AUTOMATION.selfServiceClientIdVariable, AUTOMATION.selfServicePrivateKeySecret]
      : [AUTOMATION.deliveryClientIdVariable, AUTOMATION.deliveryPrivateKeySecret];
  return [
    `      - name: ${step.name}`,
    `        id: ${step.id}`,
    `        uses: ${uses(ACTIONS.createGitHubAppToken)}`,
    "        with:",
    `          client-id: \${{ vars.${clientId} }}`,
    `          private-key: \${{ secrets.${privateKey} }}`,
    "          owner: ${{ github.repository_owner }}",
    ...(step.repositories !== undefined ? [`          repositories: ${step.repositories}`] : []),
    ...Object.entries(step.permissions).map(([name, level]) => `          permission-${name}: ${level}`),
  ]
    .map((line) => `${line}\n`)
    .join("");
}

function notice(): string {
  return `# ${MANAGED_NOTICE}\n`;
}

/** kubeconform's schema path template: <dir>/<group>/<kind, lowercase>_<version>.json. */
function schemaLocation(dir: string): string {
  return `${dir}/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`;
}

/** The platform kinds the validate workflow cannot check because the stack gave no schema for them. */
export function unvalidatedKinds(layout: OrganizationLayout): string[] {
  return Object.values(XR_KINDS)
    .filter(
      (kind) =>
        !layout.resourceSchemas.some(
          (s) => s.group === XR_GROUP && s.version === XR_VERSION && s.kind === kind,
        ),
    )
    .map((kind) => `${XR_API_VERSION}/${kind}`);
}

export const IMMUTABLE_IMAGES_STEP = "Apps run immutable images";

/**
 * A step that refuses an App with a movable image in the environments whose profile wants immutable
 * ones, before merge (the XRD's CEL rule refuses it again in the cluster; kubeconform runs no CEL).
 * yq is mikefarah's v4, which GitHub's ubuntu images carry. Empty when no environment asks for it.
 */
function immutableImagesStep(layout: OrganizationLayout): string {
  const environments = layout.environments.filter((env) => env.profile.immutableImages).map((e) => e.name);
  if (environments.length === 0) return "";
  return `      - name: ${IMMUTABLE_IMAGES_STEP}
        run: |
          shopt -s nullglob globstar
          pattern='${IMMUTABLE_IMAGE_PATTERN}'
          status=0
          for environment in ${environments.join(" ")}; do
            for file in environments/"$environment"/apps/**/*.yaml environments/"$environment"/apps/**/*.yml; do
              while IFS= read -r image; do
                if ! [[ "$image" =~ $pattern ]]; then
                  echo "::error file=$file::$image can move: $environment runs immutable images only (a digest, a sha-<commit> tag or a version tag); promote the app to set one"
                  status=1
                fi
              done < <(yq --no-doc 'select(.kind == "${XR_KINDS.app}") | .spec.image' "$file")
            done
          done
          exit "$status"
`;
}

export const UNIQUE_HOSTS_STEP = "Every host has one App";

/**
 * A step that refuses two Apps claiming one host in an environment (explicitly, or by the default
 * `<name>.<domain>`): the shared Gateway would route the host to both, and the older route would win.
 * Every App of an environment is in its folder, so this sees all of them; the XRD cannot.
 */
function uniqueHostsStep(layout: OrganizationLayout): string {
  const pairs = layout.environments.map((env) => `${env.name}=${env.domain}`).join(" ");
  return `      - name: ${UNIQUE_HOSTS_STEP}
        run: |
          shopt -s nullglob globstar
          status=0
          for pair in ${pairs}; do
            environment="\${pair%%=*}" domain="\${pair#*=}"
            hosts="$(for file in environments/"$environment"/apps/**/*.yaml environments/"$environment"/apps/**/*.yml; do
              DOMAIN="$domain" yq --no-doc 'select(.kind == "${XR_KINDS.app}") | (.spec.host // (.metadata.name + "." + strenv(DOMAIN)))' "$file"
            done | sort)"
            for host in $(uniq -d <<< "$hosts"); do
              echo "::error::$environment: more than one App claims $host; give each App a host of its own"
              status=1
            done
          done
          exit "$status"
`;
}

/** Pull requests (and main): YAML lint, then every resource under environments/ against its schema. */
export function validateWorkflow(layout: OrganizationLayout): string {
  const { kubeconform, yamllint, argoCdCrds, schemaHeroCrds } = TOOLS;
  const crdUrl = (pin: { repository: string; version: string }, file: string) =>
    `https://raw.githubusercontent.com/${pin.repository}/${pin.version}/${file}`;
  const fetches = [
    ...argoCdCrds.files.map((file) => `fetch_crd argoproj.io ${crdUrl(argoCdCrds, file)}`),
    ...schemaHeroCrds.files.map((file) => `fetch_crd schemas.schemahero.io ${crdUrl(schemaHeroCrds, file)}`),
  ];
  const skipped = unvalidatedKinds(layout);
  const skip = skipped.length === 0 ? "" : `            -skip ${skipped.join(",")} \\\n`;
  const skipNote =
    skipped.length === 0
      ? ""
      : `          # No schema was seeded for ${skipped.join(", ")}: the platform stack passes none yet.\n`;
  return `${notice()}name: validate
on:
  pull_request:
    branches: [${MANAGEMENT_BRANCH}]
  push:
    branches: [${MANAGEMENT_BRANCH}]
permissions:
  contents: read
concurrency:
  group: validate-\${{ github.ref }}
  cancel-in-progress: true
jobs:
  validate:
    # The ruleset of ${MANAGEMENT_BRANCH} requires this check by its name.
    name: ${VALIDATE_CHECK}
    runs-on: ${RUNNER}
    timeout-minutes: 15
    steps:
      - uses: ${uses(ACTIONS.checkout)}
        with:
          persist-credentials: false
      - name: Install yamllint and kubeconform
        run: |
          python3 -m venv "$RUNNER_TEMP/venv"
          "$RUNNER_TEMP/venv/bin/pip" install --quiet "yamllint==${yamllint.version}"
          GOBIN="$RUNNER_TEMP/bin" go install "${kubeconform.module}/cmd/kubeconform@${kubeconform.version}"
          echo "$RUNNER_TEMP/venv/bin" >> "$GITHUB_PATH"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - name: Lint YAML
        run: yamllint --strict .
${immutableImagesStep(layout)}${uniqueHostsStep(layout)}      - name: Fetch the schemas of upstream custom resources
        run: |
          convert="$RUNNER_TEMP/openapi2jsonschema.py"
          curl --fail --silent --show-error --location --output "$convert" \\
            "https://raw.githubusercontent.com/yannh/kubeconform/${kubeconform.version}/scripts/openapi2jsonschema.py"
          fetch_crd() {
            mkdir -p "$RUNNER_TEMP/schemas/$1"
            (cd "$RUNNER_TEMP/schemas/$1" && python "$convert" "$2")
          }
${fetches.map((line) => `          ${line}`).join("\n")}
      - name: Validate resources
        run: |
${skipNote}          kubeconform -strict -summary \\
            -schema-location default \\
            -schema-location "${schemaLocation("$RUNNER_TEMP/schemas")}" \\
            -schema-location "${schemaLocation(RESOURCE_SCHEMA_DIR)}" \\
${skip}            environments/
`;
}

/**
 * The self-service action: creates the app's repository from the template, grants its team access,
 * lets the repository use the delivery credentials, and opens a pull request adding the app's folder in
 * every environment. A portal (Port, Backstage) calls it through the workflow_dispatch API.
 */
export function createAppWorkflow(layout: OrganizationLayout): string {
  const teams = [...layout.teams].map((t) => t.slug).sort();
  const admins = layout.teams.filter((t) => t.platformAdmin).map((t) => t.slug);
  const first = firstEnvironment(layout).name;
  return `${notice()}name: create-app
run-name: create-app \${{ inputs.name }} for \${{ inputs.team }}
on:
  workflow_dispatch:
    inputs:
      name:
        description: "App name: lowercase letters, digits and '-' (at most 63). Names its repository, host and resources."
        required: true
        type: string
      team:
        description: Team that owns the app
        required: true
        type: choice
        options:
${teams.map((team) => `          - ${team}`).join("\n")}
      database:
        description: Give the app a Postgres SQLDatabase and SchemaHero tables
        required: false
        type: boolean
        default: false
permissions:
  contents: read
concurrency:
  group: create-app-\${{ inputs.name }}
  cancel-in-progress: false
jobs:
  create-app:
    name: create-app
    runs-on: ${RUNNER}
    timeout-minutes: 15
    # The App's key is a secret of this environment, which releases it only to runs from ${MANAGEMENT_BRANCH}.
    environment: ${AUTOMATION.selfServiceEnvironment}
    env:
      APP_NAME: \${{ inputs.name }}
      TEAM: \${{ inputs.team }}
      DATABASE: \${{ inputs.database }}
      OWNER: \${{ github.repository_owner }}
      TEMPLATE: ${layout.templateRepository}
    steps:
      - name: Check the name
        run: |
          if ! [[ "$APP_NAME" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]]; then
            echo "::error::name must be lowercase letters, digits and '-' (at most 63), starting and ending alphanumeric"
            exit 1
          fi
          case "$APP_NAME" in
            ${PLATFORM_HOST_LABELS.join("|")})
              echo "::error::$APP_NAME.<domain> is a platform service's host; choose another name"
              exit 1
              ;;
          esac
      - uses: ${uses(ACTIONS.checkout)}
        with:
          persist-credentials: false
      - name: Check that the app is new
        run: |
          if compgen -G "environments/*/apps/*/$APP_NAME" > /dev/null; then
            echo "::error::an app named $APP_NAME already exists in environments/"
            exit 1
          fi
      # Three tokens, each for what its steps do: creating a repository is the only organization-wide
      # act; everything else is limited to the new repository or to this one.
${appTokenStep({ name: "Create a GitHub App token to create the repository", id: "create-token", app: "selfService", permissions: { administration: "write" } })}      - name: Create the repository from the template
        env:
          GH_TOKEN: \${{ steps.create-token.outputs.token }}
        run: |
          if gh api "repos/$OWNER/$APP_NAME" --silent 2> /dev/null; then
            echo "::error::the repository $OWNER/$APP_NAME already exists"
            exit 1
          fi
          gh repo create "$OWNER/$APP_NAME" --template "$OWNER/$TEMPLATE" --${layout.repositoryVisibility} \\
            --description "$APP_NAME, owned by team $TEAM (created by create-app)"
${appTokenStep({ name: "Create a GitHub App token for the new repository", id: "repository-token", app: "selfService", repositories: "${{ inputs.name }}", permissions: { administration: "write", environments: "write", secrets: "write", actions: "write", members: "read" } })}      - name: Give the repository its topics and teams
        env:
          GH_TOKEN: \${{ steps.repository-token.outputs.token }}
        run: |
          # The apps' topic: the platform finds every app repository by it (sync-delivery-key).
          gh repo edit "$OWNER/$APP_NAME" --add-topic ${APP_TOPIC} --add-topic "team-$TEAM"
          for team in "$TEAM" ${admins.join(" ")}; do
            gh api --method PUT "orgs/$OWNER/teams/$team/repos/$OWNER/$APP_NAME" -f permission=maintain
          done
      - name: Give the repository its delivery environment and ruleset
        env:
          GH_TOKEN: \${{ steps.repository-token.outputs.token }}
          DELIVERY_KEY: \${{ secrets.${AUTOMATION.deliveryPrivateKeySecret} }}
        run: |
${deliverySetupFunction("          ")}
          setup_delivery "$OWNER/$APP_NAME"
      - name: Add the app to ${first}
        run: |
${renderAppFunction("          ")}
          # The other environments get the app with its first promotion there.
          render_app ${first} "$TEAM" "$APP_NAME" "${INITIAL_IMAGE_SHELL}" "$DATABASE"
      - name: ${CATALOG_STEP}
        run: |
          suffix=""
          if [ "$DATABASE" = "true" ]; then suffix="-with-database"; fi
          mkdir -p ${CATALOG_DIR}/${CREATED_APPS_CATALOG.backstageDir} ${CATALOG_DIR}/${CREATED_APPS_CATALOG.portDir}
          sed -e "s|${APP_PLACEHOLDER}|$APP_NAME|g" -e "s|${TEAM_PLACEHOLDER}|$TEAM|g" "${CATALOG_SKELETON_DIR}/backstage$suffix.yaml" \\
            > "${CATALOG_DIR}/${CREATED_APPS_CATALOG.backstageDir}/$APP_NAME.yaml"
          sed -e "s|${APP_PLACEHOLDER}|$APP_NAME|g" -e "s|${TEAM_PLACEHOLDER}|$TEAM|g" "${CATALOG_SKELETON_DIR}/port$suffix.json" \\
            > "${CATALOG_DIR}/${CREATED_APPS_CATALOG.portDir}/$APP_NAME.json"
          yq --inplace '.spec.targets += ["./apps/" + strenv(APP_NAME) + ".yaml"]' ${CATALOG_DIR}/${CREATED_APPS_CATALOG.backstageLocation}
${appTokenStep({ name: "Create a GitHub App token for this repository", id: "management-token", app: "selfService", repositories: layout.managementRepository, permissions: { contents: "write", "pull-requests": "write" } })}      - name: Open the pull request
        env:
          GH_TOKEN: \${{ steps.management-token.outputs.token }}
          BOT: \${{ steps.management-token.outputs.app-slug }}
        run: |
          branch="create-app/$APP_NAME"
          gh auth setup-git
${GIT_AS_BOT}
          git switch --create "$branch"
          git add environments ${CATALOG_DIR}
          git commit --message "Add app $APP_NAME for team $TEAM"
          git push origin "$branch"
          gh pr create --base ${MANAGEMENT_BRANCH} --head "$branch" --title "Add app $APP_NAME for team $TEAM" \\
            --body "Created by create-app for @$GITHUB_ACTOR: repository $OWNER/$APP_NAME from $TEMPLATE. Merge to run it in ${first} on the image its first build pushes (${INITIAL_IMAGE_SHELL}); every later build of its ${MANAGEMENT_BRANCH} opens a pull request that pins its image, and its build workflow run for another environment brings it there."
      - name: Start the app's first build
        env:
          GH_TOKEN: \${{ steps.repository-token.outputs.token }}
        run: |
          # GitHub copies the template asynchronously: retry until the workflow exists.
          for _ in 1 2 3 4 5 6; do
            if gh workflow run build.yaml --repo "$OWNER/$APP_NAME" --ref ${MANAGEMENT_BRANCH}; then exit 0; fi
            sleep 10
          done
          echo "::warning::could not start the first build of $OWNER/$APP_NAME; run its build workflow by hand"
`;
}

/**
 * A shell function that gives an app repository what its pipeline's promotion needs, idempotently: the
 * delivery environment (only the default branch may deploy to it) with the delivery key, and the ruleset
 * of its default branch (model.ts, `appRuleset`). Needs GH_TOKEN (administration, environments and
 * secrets write on the repository) and DELIVERY_KEY.
 */
function deliverySetupFunction(indent: string): string {
  const environment = AUTOMATION.deliveryEnvironment;
  const environmentBody = JSON.stringify({
    can_admins_bypass: false,
    deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
  });
  return [
    "setup_delivery() {",
    '  local repo="$1"',
    `  gh api --method PUT "repos/$repo/environments/${environment}" --input - > /dev/null <<'JSON'`,
    environmentBody,
    "JSON",
    `  if ! gh api "repos/$repo/environments/${environment}/deployment-branch-policies" --jq '.branch_policies[].name' | grep -qx ${MANAGEMENT_BRANCH}; then`,
    `    gh api --method POST "repos/$repo/environments/${environment}/deployment-branch-policies" -f name=${MANAGEMENT_BRANCH} -f type=branch > /dev/null`,
    "  fi",
    `  gh secret set ${AUTOMATION.deliveryPrivateKeySecret} --env ${environment} --repo "$repo" <<< "$DELIVERY_KEY"`,
    `  if ! gh api "repos/$repo/rulesets" --jq '.[].name' | grep -qx ${DEFAULT_BRANCH_RULESET}; then`,
    `    gh api --method POST "repos/$repo/rulesets" --input - > /dev/null <<'JSON'`,
    JSON.stringify(appRuleset(MANAGEMENT_BRANCH)),
    "JSON",
    "  fi",
    "}",
  ]
    .map((line) => `${indent}${line}`)
    .join("\n");
}

/**
 * Installs the delivery key (after a rotation, or in repositories created before) in every app
 * repository: the repositories with the apps' topic, each through `setup_delivery`. Weekly and on demand,
 * in the self-service environment (default branch only).
 */
export function syncDeliveryKeyWorkflow(): string {
  return `${notice()}name: sync-delivery-key
on:
  workflow_dispatch:
  schedule:
    - cron: "17 4 * * 1"
permissions:
  contents: read
concurrency:
  group: sync-delivery-key
  cancel-in-progress: false
jobs:
  sync:
    name: sync
    runs-on: ${RUNNER}
    timeout-minutes: 30
    environment: ${AUTOMATION.selfServiceEnvironment}
    steps:
${appTokenStep({ name: "Create a GitHub App token", id: "token", app: "selfService", permissions: { administration: "write", environments: "write", secrets: "write" } })}      - name: Install the delivery key in every app repository
        env:
          GH_TOKEN: \${{ steps.token.outputs.token }}
          DELIVERY_KEY: \${{ secrets.${AUTOMATION.deliveryPrivateKeySecret} }}
          OWNER: \${{ github.repository_owner }}
        run: |
${deliverySetupFunction("          ")}
          gh repo list "$OWNER" --topic ${APP_TOPIC} --no-archived --limit 1000 --json name --jq '.[].name' > repositories
          while IFS= read -r name; do
            setup_delivery "$OWNER/$name"
            echo "$OWNER/$name"
          done < repositories
`;
}

/**
 * Loads the Port catalog (`catalog/port/`: blueprints, self-service actions, entities and the apps
 * create-app added) into Port on every push to main that changes it, through Port's API (GET, then PUT
 * or POST per blueprint and action; entities upserted and merged). Port's credentials live in the
 * management repository's `port` environment (default branch only); without them the run says so and
 * does nothing. Blueprints load in file order, which puts every relation's target first.
 */
export function catalogWorkflow(): string {
  const dir = `${managementRepoPaths.catalog()}/port`;
  return `${notice()}name: catalog
on:
  push:
    branches: [${MANAGEMENT_BRANCH}]
    paths: ["${dir}/**"]
  workflow_dispatch:
permissions:
  contents: read
concurrency:
  group: catalog
  cancel-in-progress: false
jobs:
  port:
    name: port
    runs-on: ${RUNNER}
    timeout-minutes: 15
    environment: ${AUTOMATION.portEnvironment}
    steps:
      - uses: ${uses(ACTIONS.checkout)}
        with:
          persist-credentials: false
      - name: Load the catalog into Port
        env:
          PORT_API_URL: \${{ vars.${AUTOMATION.portApiUrlVariable} }}
          PORT_CLIENT_ID: \${{ vars.${AUTOMATION.portClientIdVariable} }}
          PORT_CLIENT_SECRET: \${{ secrets.${AUTOMATION.portClientSecret} }}
        run: |
          if [ -z "$PORT_CLIENT_ID" ] || [ -z "$PORT_CLIENT_SECRET" ] || [ -z "$PORT_API_URL" ]; then
            echo "::notice::The ${AUTOMATION.portEnvironment} environment has no Port credentials (idp:port): nothing loaded."
            exit 0
          fi
          token="$(jq -n --arg id "$PORT_CLIENT_ID" --arg secret "$PORT_CLIENT_SECRET" '{clientId: $id, clientSecret: $secret}' \
            | curl -fsS -X POST -H 'Content-Type: application/json' --data @- "$PORT_API_URL/v1/auth/access_token" \
            | jq -r .accessToken)"
          echo "::add-mask::$token"
          port() {
            curl -fsS -o /dev/null -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
              --data "$3" "$PORT_API_URL$2"
          }
          # Blueprints and actions: replaced when they exist, created otherwise.
          upsert() {
            local id status
            id="$(jq -r .identifier <<<"$2")"
            status="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$PORT_API_URL/v1/$1/$id")"
            case "$status" in
              200) port PUT "/v1/$1/$id" "$2" ;;
              404) port POST "/v1/$1" "$2" ;;
              *) echo "::error::GET /v1/$1/$id answered HTTP $status"; return 1 ;;
            esac
            echo "$1/$id"
          }
          jq -c '.[]' ${dir}/blueprints.json | while IFS= read -r item; do upsert blueprints "$item"; done
          jq -c '.[]' ${dir}/actions.json | while IFS= read -r item; do upsert actions "$item"; done
          for file in ${dir}/entities.json ${dir}/apps/*.json; do
            [ -e "$file" ] || continue
            jq -c '.[]' "$file" | while IFS= read -r item; do
              blueprint="$(jq -r .blueprint <<<"$item")"
              port POST "/v1/blueprints/$blueprint/entities?upsert=true&merge=true" "$item"
              echo "entities/$blueprint/$(jq -r .identifier <<<"$item")"
            done
          done
`;
}

/**
 * The application template's pipeline: test, build and push the image to GHCR, then open (or update) a
 * pull request on the management repository that sets the image in the app's folder of an environment:
 * the first environment on every push to main, any environment on demand (promotion).
 */
export function buildWorkflow(layout: OrganizationLayout): string {
  const environments = layout.environments.map((e) => e.name);
  const first = firstEnvironment(layout).name;
  return `${notice()}name: build
on:
  push:
    branches: [${MANAGEMENT_BRANCH}]
  pull_request:
    branches: [${MANAGEMENT_BRANCH}]
  workflow_dispatch:
    inputs:
      environment:
        description: Environment whose folder in the management repository gets this commit's image
        required: true
        type: choice
        options:
${environments.map((env) => `          - ${env}`).join("\n")}
        default: ${first}
permissions:
  contents: read
concurrency:
  group: build-\${{ github.ref }}
  cancel-in-progress: false
jobs:
  test:
    name: test
    runs-on: ${RUNNER}
    timeout-minutes: 10
    steps:
      - uses: ${uses(ACTIONS.checkout)}
        with:
          persist-credentials: false
      - uses: ${uses(ACTIONS.setupNode)}
        with:
          node-version: ${BASE_IMAGES.node.version}
      # From the lockfile, so the test job runs what the image ships.
      - run: npm ci --ignore-scripts --no-audit --no-fund
      - run: npm test
  image:
    name: image
    needs: test
    # The template itself is not an app: only repositories created from it build and promote.
    if: github.event_name != 'pull_request' && !github.event.repository.is_template
    runs-on: ${RUNNER}
    timeout-minutes: 20
    permissions:
      contents: read
      packages: write
    outputs:
      reference: \${{ steps.push.outputs.reference }}
    steps:
      - uses: ${uses(ACTIONS.checkout)}
        with:
          persist-credentials: false
      - name: Build and push the image
        id: push
        env:
          REGISTRY_TOKEN: \${{ secrets.GITHUB_TOKEN }}
        run: |
          image="ghcr.io/\${GITHUB_REPOSITORY,,}"
          tag="sha-$GITHUB_SHA"
          echo "$REGISTRY_TOKEN" | docker login ghcr.io --username "$GITHUB_ACTOR" --password-stdin
          docker build --pull \\
            --label "org.opencontainers.image.source=$GITHUB_SERVER_URL/$GITHUB_REPOSITORY" \\
            --label "org.opencontainers.image.revision=$GITHUB_SHA" \\
            --tag "$image:$tag" .
          docker push "$image:$tag"
          # The default branch's moving tag: a new app runs it in the first environment until its
          # create-app pull request merges and a promotion pins a commit (dispatched builds too: the
          # first build of a new app is dispatched by create-app).
          if [ "$GITHUB_REF" = "refs/heads/${MANAGEMENT_BRANCH}" ]; then
            docker tag "$image:$tag" "$image:${MANAGEMENT_BRANCH}"
            docker push "$image:${MANAGEMENT_BRANCH}"
          fi
          echo "reference=$image:$tag" >> "$GITHUB_OUTPUT"
  promote:
    name: promote
    needs: image
    runs-on: ${RUNNER}
    timeout-minutes: 10
    # The delivery key is a secret of this environment, which releases it only to runs from ${MANAGEMENT_BRANCH}.
    environment: ${AUTOMATION.deliveryEnvironment}
    env:
      ENVIRONMENT: \${{ github.event_name == 'workflow_dispatch' && inputs.environment || '${first}' }}
      IMAGE_REFERENCE: \${{ needs.image.outputs.reference }}
    steps:
      - uses: ${uses(ACTIONS.checkout)}
        with:
          persist-credentials: false
${appTokenStep({ name: "Create a GitHub App token for the management repository", id: "token", app: "delivery", repositories: layout.managementRepository, permissions: { contents: "write", "pull-requests": "write" } })}      - uses: ${uses(ACTIONS.checkout)}
        with:
          repository: \${{ github.repository_owner }}/${layout.managementRepository}
          token: \${{ steps.token.outputs.token }}
          path: management
          persist-credentials: false
      - name: Open the promotion pull request
        env:
          GH_TOKEN: \${{ steps.token.outputs.token }}
          BOT: \${{ steps.token.outputs.app-slug }}
        run: |
          app="\${GITHUB_REPOSITORY#*/}"
          cd management
${renderAppFunction("          ")}
          origin="$(find "environments/${first}/apps" -mindepth 2 -maxdepth 2 -type d -name "$app" | head -n 1)"
          if [ -z "$origin" ]; then
            if [ "$ENVIRONMENT" = "${first}" ]; then
              echo "::notice::$app is not in environments/${first} yet: it runs this build's ${MANAGEMENT_BRANCH} image once its create-app pull request merges"
              exit 0
            fi
            echo "::error::$app is not in environments/${first} yet: merge its create-app pull request first"
            exit 1
          fi
          team="$(basename "$(dirname "$origin")")"
          folder="environments/$ENVIRONMENT/apps/$team/$app"
          if [ ! -f "$folder/app.yaml" ]; then
            # The app's first promotion here: its files from this environment's skeleton, with a database
            # if it has one in ${first}.
            database=false
            if [ -f "$origin/${SKELETON_FILES.database}" ]; then database=true; fi
            render_app "$ENVIRONMENT" "$team" "$app" "$IMAGE_REFERENCE" "$database"
          fi
          yq --inplace '.spec.image = strenv(IMAGE_REFERENCE)' "$folder/app.yaml"
          if [ -f "$folder/database.yaml" ] && [ -f ../schema/tables.yaml ]; then
            # The app's repository owns its schema: copy its tables next to its database.
            NAMESPACE="$(yq '.metadata.namespace' "$folder/app.yaml")" APP="$app" \\
              yq '.metadata.name = strenv(APP) + "-" + .spec.name | .metadata.namespace = strenv(NAMESPACE) | .spec.database = strenv(APP)' \\
              ../schema/tables.yaml > "$folder/tables.yaml"
          fi
          git add "$folder"
          if git diff --cached --quiet; then
            echo "$ENVIRONMENT already runs $IMAGE_REFERENCE"
            exit 0
          fi
          branch="promote/$app/$ENVIRONMENT"
          gh auth setup-git
${GIT_AS_BOT}
          git switch --create "$branch"
          git commit --message "Promote $app to $IMAGE_REFERENCE in $ENVIRONMENT"
          git push --force origin "$branch"
          if ! gh pr view "$branch" > /dev/null 2>&1; then
            gh pr create --base ${MANAGEMENT_BRANCH} --head "$branch" --title "Promote $app in $ENVIRONMENT" \\
              --body "Sets $IMAGE_REFERENCE in $folder (built from $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/commit/$GITHUB_SHA)."
          fi
`;
}
