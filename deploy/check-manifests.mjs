// deploy/check-manifests.mjs — validates deploy/k8s/*.yaml and the
// Dockerfile without a cluster or a Docker daemon (run by deploy/check.sh,
// which installs the npm packages named below into a scratch directory).
//
//   schema   every object against the Kubernetes OpenAPI schema of its
//            apiVersion/kind (kubernetes-models' validate(): unknown
//            fields, wrong types, missing required fields fail)
//   ours     what the schema cannot know: probes on the library's
//            /readyz and /healthz, terminationGracePeriodSeconds above
//            drain + shutdown deadline, selectors that match the pods,
//            the Service's targetPort naming a container port, a non-root
//            user that is the Dockerfile's USER
//   Dockerfile  dockerfile-utils' validator (syntax, instruction
//            arguments), plus: multi-stage, a Debian base, a numeric
//            non-root USER, and the same CMD as the Deployment's args
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [, , modules, root] = process.argv;
const req = createRequire(path.join(modules, "node_modules", "x.js"));
const load = (p) => import(pathToFileURL(req.resolve(p)).href);
const YAML = await load("yaml");
const dockerfileUtils = req("dockerfile-utils");

let fails = 0;
const check = (cond, what) => {
  if (!cond) {
    fails++;
    console.log("FAIL: " + what);
  }
  return cond;
};

const SHUTDOWN_TIMEOUT_S = 30;          // goc_http's default shutdown_timeout
const k8sDir = path.join(root, "deploy", "k8s");
const objects = [];
for (const f of fs.readdirSync(k8sDir).filter((f) => f.endsWith(".yaml")).sort()) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(k8sDir, f), "utf8"))) {
    check(doc.errors.length === 0, `${f}: YAML: ${doc.errors.join("; ")}`);
    const obj = doc.toJS();
    if (!obj) continue;
    // the package exports ESM only: import its file for apiVersion/kind
    const mod = await import(pathToFileURL(path.join(modules, "node_modules",
                                                     "kubernetes-models", obj.apiVersion,
                                                     obj.kind + ".js")).href);
    try {
      new mod[obj.kind](obj).validate();
      console.log(`schema ok: ${f}: ${obj.apiVersion} ${obj.kind} ${obj.metadata.name}`);
    } catch (e) {
      check(false, `${f}: ${obj.kind} schema: ${e.message}`);
    }
    objects.push(obj);
  }
}

const dep = objects.find((o) => o.kind === "Deployment");
const svc = objects.find((o) => o.kind === "Service");
const pdb = objects.find((o) => o.kind === "PodDisruptionBudget");
const dockerfile = fs.readFileSync(path.join(root, "Dockerfile"), "utf8");
if (check(dep && svc && pdb, "a Deployment, a Service and a PodDisruptionBudget")) {
  const pod = dep.spec.template;
  const c = pod.spec.containers[0];
  const labels = pod.metadata.labels;
  const matches = (sel) => Object.entries(sel).every(([k, v]) => labels[k] === v);
  check(matches(dep.spec.selector.matchLabels), "Deployment selector matches its pods");
  check(matches(svc.spec.selector), "Service selector matches the pods");
  check(matches(pdb.spec.selector.matchLabels), "PDB selector matches the pods");
  check(c.ports.some((p) => p.name === svc.spec.ports[0].targetPort),
        "Service targetPort names a container port");
  check(c.readinessProbe?.httpGet?.path === "/readyz", "readiness probe on /readyz");
  check(c.livenessProbe?.httpGet?.path === "/healthz", "liveness probe on /healthz");
  const drainS = Number(c.args[2]) / 1000;
  const grace = pod.spec.terminationGracePeriodSeconds;
  check(grace > drainS + SHUTDOWN_TIMEOUT_S,
        `terminationGracePeriodSeconds ${grace} > drain ${drainS} s + shutdown ${SHUTDOWN_TIMEOUT_S} s`);
  const rp = c.readinessProbe;
  check(rp.periodSeconds * rp.failureThreshold < drainS,
        "readiness turns false (period x failures) within the drain");
  check(pod.spec.securityContext.runAsNonRoot === true, "runAsNonRoot");
  const user = /^USER\s+(\d+)/m.exec(dockerfile);
  check(user && Number(user[1]) === pod.spec.securityContext.runAsUser,
        "runAsUser is the Dockerfile's USER");
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile);
  check(cmd && JSON.stringify(JSON.parse(cmd[1])) === JSON.stringify(c.args),
        "Deployment args are the image's CMD");
  check(pdb.spec.maxUnavailable === 1 && dep.spec.replicas >= 2, "PDB leaves replicas serving");
}

const diags = dockerfileUtils.validate(dockerfile);
for (const d of diags)
  check(false, `Dockerfile:${d.range.start.line + 1}: ${d.message}`);
const froms = dockerfile.match(/^FROM\s+\S+/gm) || [];
check(froms.length >= 2, "Dockerfile is multi-stage");
check(froms.every((f) => /debian:/.test(f)), "Dockerfile stages are on Debian");
check(/-static\b/.test(dockerfile), "Dockerfile links the program statically");
console.log(`Dockerfile: ${diags.length} diagnostics from dockerfile-utils`);

console.log(fails ? `${fails} FAILED` : "manifests and Dockerfile: all checks passed");
process.exit(fails ? 1 : 0);
