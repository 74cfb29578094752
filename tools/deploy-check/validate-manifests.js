#!/usr/bin/env node
// Validates rendered Kubernetes manifests offline: every object against the Kubernetes schema (kubernetes-models,
// chosen by apiVersion and kind), then a few checks the schema cannot make (references between objects).
// Usage: node validate-manifests.js FILE.yaml   (multi-document YAML; "-" reads standard input)
// Prints one line per failure ("Kind/name: /path: message") to stderr and exits 1; prints "ok: N objects" and exits 0.
"use strict";

const fs = require("fs");
const YAML = require("yaml");

function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return null;
  }
  // "v1" is the core group (kubernetes-models/v1); "apps/v1" is kubernetes-models/apps/v1, and so on.
  let group;
  try {
    group = require(`kubernetes-models/${apiVersion}`);
  } catch {
    return null;
  }
  return typeof group[kind] === "function" ? group[kind] : null;
}

function describe(doc) {
  const kind = doc && typeof doc.kind === "string" ? doc.kind : "(no kind)";
  const name = doc && doc.metadata && typeof doc.metadata.name === "string" ? doc.metadata.name : "(no name)";
  return `${kind}/${name}`;
}

// The pod template of a workload, or null.
function podSpec(doc) {
  if (doc.kind === "Pod") return doc.spec || null;
  if (doc.kind === "CronJob") return doc.spec?.jobTemplate?.spec?.template?.spec || null;
  return doc.spec?.template?.spec || null;
}

function podLabels(doc) {
  return doc.kind === "Pod" ? doc.metadata?.labels || {} : doc.spec?.template?.metadata?.labels || {};
}

// Checks the schema cannot make: $(VAR) in a container's command, args and env must name a variable the container
// defines (Kubernetes leaves an unknown reference as literal text); secrets and config maps it reads must be among
// the rendered objects; a Service's selector must match some pod template.
function crossChecks(docs, fail) {
  const names = (kind) => new Set(docs.filter((d) => d.kind === kind).map((d) => d.metadata?.name));
  const secrets = names("Secret");
  const configMaps = names("ConfigMap");
  const workloads = docs.filter((d) => podSpec(d) && d.kind !== "Service");

  for (const doc of workloads) {
    const spec = podSpec(doc);
    const containers = [...(spec.initContainers || []), ...(spec.containers || [])];
    containers.forEach((c, i) => {
      const where = `${describe(doc)}: container ${c.name || i}`;
      const defined = new Set();
      for (const e of c.env || []) {
        for (const ref of references(e.value)) {
          if (!defined.has(ref)) fail(`${where}: env ${e.name} uses $(${ref}), not defined before it`);
        }
        defined.add(e.name);
        const secretRef = e.valueFrom?.secretKeyRef;
        if (secretRef && !secretRef.optional && !secrets.has(secretRef.name)) {
          fail(`${where}: env ${e.name} reads Secret ${secretRef.name}, which is not among the objects`);
        }
        const configRef = e.valueFrom?.configMapKeyRef;
        if (configRef && !configRef.optional && !configMaps.has(configRef.name)) {
          fail(`${where}: env ${e.name} reads ConfigMap ${configRef.name}, which is not among the objects`);
        }
      }
      for (const field of ["command", "args"]) {
        for (const item of c[field] || []) {
          for (const ref of references(item)) {
            if (!defined.has(ref)) fail(`${where}: ${field} uses $(${ref}), which the container does not define`);
          }
        }
      }
    });
    for (const v of spec.volumes || []) {
      if (v.secret && !v.secret.optional && !secrets.has(v.secret.secretName)) {
        fail(`${describe(doc)}: volume ${v.name} mounts Secret ${v.secret.secretName}, which is not among the objects`);
      }
    }
  }

  for (const svc of docs.filter((d) => d.kind === "Service" && d.spec?.selector)) {
    const selector = Object.entries(svc.spec.selector);
    const match = workloads.some((w) => selector.every(([k, v]) => podLabels(w)[k] === v));
    if (!match) fail(`${describe(svc)}: its selector matches no pod template`);
  }
}

// kustomize wraps a generated Secret's base64 values at 76 characters; the API server's decoder (Go's encoding/base64)
// skips the line breaks, the schema's "byte" format does not: checked as the server reads them.
function normalize(doc) {
  if (doc.kind !== "Secret" || !doc.data || typeof doc.data !== "object") return doc;
  const data = {};
  for (const [key, value] of Object.entries(doc.data)) {
    data[key] = typeof value === "string" ? value.replace(/[\r\n]/g, "") : value;
  }
  return { ...doc, data };
}

function references(text) {
  if (typeof text !== "string") return [];
  // $$(X) is an escaped, literal $(X).
  return [...text.matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]);
}

function main(argv) {
  if (argv.length !== 1) {
    process.stderr.write("usage: node validate-manifests.js FILE.yaml|-\n");
    return 2;
  }
  const text = fs.readFileSync(argv[0] === "-" ? 0 : argv[0], "utf8");
  const failures = [];
  const fail = (line) => failures.push(line);
  const docs = [];
  for (const parsed of YAML.parseAllDocuments(text)) {
    if (parsed.errors.length > 0) {
      parsed.errors.forEach((e) => fail(`YAML: ${e.message}`));
      continue;
    }
    const doc = parsed.toJS();
    if (doc === null || doc === undefined) continue;
    docs.push(doc);
  }
  if (docs.length === 0) fail("no objects in the input");

  for (const doc of docs) {
    if (typeof doc !== "object" || Array.isArray(doc)) {
      fail(`a document is not an object: ${JSON.stringify(doc).slice(0, 80)}`);
      continue;
    }
    const Model = modelFor(doc.apiVersion, doc.kind);
    if (!Model) {
      fail(`${describe(doc)}: unknown apiVersion/kind ${doc.apiVersion}/${doc.kind}`);
      continue;
    }
    try {
      new Model(normalize(doc)).validate();
    } catch (e) {
      if (Array.isArray(e.errors)) {
        for (const err of e.errors) {
          const missing = err.params?.missingProperty;
          const detail = missing && !err.message.includes(missing) ? ` (${missing})` : "";
          fail(`${describe(doc)}: ${err.instancePath || "/"}: ${err.message}${detail}`);
        }
      } else {
        fail(`${describe(doc)}: ${e.message}`);
      }
    }
  }
  crossChecks(docs.filter((d) => d && typeof d === "object"), fail);

  if (failures.length > 0) {
    failures.forEach((f) => process.stderr.write(`${f}\n`));
    process.stderr.write(`${failures.length} problem(s) in ${docs.length} object(s)\n`);
    return 1;
  }
  process.stdout.write(`ok: ${docs.length} objects (${docs.map(describe).join(", ")})\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
