// Allure 3 configuration for the Hokusai registry acceptance suite.
// The run's status and the diagnosis's findings come first; then categories split infrastructure
// problems (the suite could not exercise the target: "broken") from contract failures (the target
// answered, but not as the contract says: "failed").
import { defineConfig } from "allure";
import { existsSync, readFileSync } from "node:fs";

const runInfoPath = "./reports/run-info.json";
const runInfo = existsSync(runInfoPath) ? JSON.parse(readFileSync(runInfoPath, "utf-8")) : {};
// One history per target (and per injected fault): a run with a fault switched on deliberately must not
// mark the scenarios of healthy runs flaky.
const statusPath = "./reports/status.json";
const historyKey = existsSync(statusPath) ? JSON.parse(readFileSync(statusPath, "utf-8")).history_key : undefined;
const historyName = /^[a-z0-9.-]+$/.test(historyKey ?? "") ? historyKey : "history";

export default defineConfig({
  name: "Hokusai model registry - acceptance report",
  output: "./reports/allure-report",
  historyPath: `./reports/history/${historyName}.jsonl`,
  historyLimit: 30,
  variables: runInfo,
  categories: [
    {
      name: "Run status: the verdict, the totals, what did not run",
      matchers: { message: /^Run status:/ },
      groupByMessage: false,
      expand: true,
    },
    {
      name: "Findings: what is wrong, who acts, and what to do first",
      matchers: { message: /^Finding:/ },
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Upgrade gaps: the target follows an older contract",
      matchers: { message: /^Upgrade gap/ },
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Infrastructure: a component was pinned as down, remaining calls not attempted",
      matchers: { statuses: ["broken"], message: /ComponentDown|not attempted/ },
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Infrastructure: a dependency behind the API failed (auth service, MLflow)",
      matchers: { statuses: ["broken"], message: /DependencyFailed|reports that a dependency failed/ },
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Infrastructure: target unreachable or not responding",
      matchers: { statuses: ["broken"], message: /TargetUnreachable|TargetNotResponding|cannot connect|no answer within/ },
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Infrastructure: something other than the Hokusai API answered",
      matchers: { statuses: ["broken"], message: /UnexpectedAnswer|not the Hokusai API|non-JSON body/ },
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Infrastructure: a registry call got an answer the client could not use",
      matchers: { statuses: ["broken"], message: /RegistryCallFailed|failed: |failed \(the registry answered/ },
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Suite configuration or embedded stack problem",
      matchers: { statuses: ["broken"], message: /ConfigError|StackError|configuration error|no .* key is configured/ },
      groupByMessage: true,
    },
    {
      name: "Performance: a budget or a benchmark target was missed",
      matchers: { statuses: ["failed"], message: /performance targets not met|the budget is/ },
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Contract failures: the registry answered, but not as the contract says (its finding names who acts)",
      matchers: { statuses: ["failed"] },
      groupBy: ["severity"],
      groupByMessage: true,
      expand: true,
    },
    {
      name: "Other broken checks",
      matchers: { statuses: ["broken"] },
      groupByMessage: true,
    },
  ],
  plugins: {
    awesome: {
      options: {
        reportName: "Hokusai model registry - acceptance report",
        reportLanguage: "en",
        singleFile: true,
        groupBy: ["epic", "feature"],
      },
    },
  },
});
