// `plan` end to end (the orchestrator, after gitops-engine's engine.Sync): read both sides,
// reconcile, assemble the plan, check the guards. Writes nothing.
import { relative } from "node:path";
import { checkGuards, type GuardTrip } from "../apply/guards.js";
import { CertCache } from "../certs/index.js";
import type { LoadedConfig } from "../config/load.js";
import type { ReadTally } from "../directory/types.js";
import { SmimesyncError } from "../errors.js";
import { gitContext } from "../gitops/git-binding.js";
import { planInputsOf } from "../gitops/plan-inputs.js";
import { assemblePlan } from "../plan/assemble.js";
import { restrictToRecipients } from "../plan/subset.js";
import type { Plan } from "../plan/types.js";
import type { Fingerprinter } from "../reconcile/observed.js";
import { type Managed, reconcile } from "../reconcile/reconcile.js";
import { matchTargets, normalizeTargets } from "../reconcile/targets.js";
import type { WatchedCa } from "../report/build.js";
import type { CoverageJudge } from "../report/ports.js";
import {
  type AnalysisOptions,
  type AnalysisStats,
  analysisSettings,
  observedValues,
  preAnalyse,
} from "./analysis-pool.js";
import { type BackendOptions, openBackends } from "./backends.js";
import { loadPolicy, readPolicyMaterial } from "./policy-material.js";
import { coverageJudge, policyPort, watchedCas } from "./policy-port.js";
import { type ReadProgress, type ReadSummary, readObserved } from "./read.js";
import { loadReadState, type ReadState, readStateKey, saveReadState } from "./read-state.js";
import { contactsScope, directoryScope, reconcileSettings, safetySettings } from "./settings.js";
import { judgeTrustCollection, type TrustCollectionView } from "./trust-collection.js";
import { type CacheLimits, type CacheStats, policyFingerprint, VerdictStore } from "./verdict-cache.js";

export interface PlanOptions extends BackendOptions {
  /** The policy's `now`; defaults to the wall clock. */
  readonly now?: Date;
  readonly onRead?: ReadProgress;
  /** The verdict cache (verdict-cache.ts); none: every value is analysed from its bytes. */
  readonly cache?: {
    readonly dir: string;
    readonly note: (line: string) => void;
    readonly limits?: Partial<CacheLimits>;
    /**
     * The read state beside the cache (read-state.ts): `incremental` reads only what changed since
     * the last plan; `refresh` reads both sides whole and saves the state (apply, --full-read).
     */
    readonly readState?: "incremental" | "refresh";
  };
  /**
   * `--target`: plan only the recipients these name (targets.ts). The whole scope is still read
   * and reconciled; the plan is then restricted and records the targets. Absent or empty: all.
   */
  readonly targets?: readonly string[];
  /** Worker threads for the cold analysis (analysis-pool.ts); default from the environment. */
  readonly analysis?: AnalysisOptions;
}

export interface PlanResult {
  readonly plan: Plan;
  /** Guards the plan trips: apply will refuse it. */
  readonly trips: readonly GuardTrip[];
  /** What the coverage report reads of the same run (src/report): nothing is read twice. */
  readonly observation: PlanObservation;
  /** How the verdict cache served this run, when there was one. */
  readonly cache: CacheStats | undefined;
  /** How each side was read: whole, or only its changes since the last plan. */
  readonly read: ReadSummary;
  /** What the pre-analysis in worker threads did. */
  readonly analysis: AnalysisStats;
}

export interface PlanObservation {
  readonly recipients: readonly Managed[];
  readonly judge: CoverageJudge;
  readonly cas: readonly WatchedCa[];
}

export async function computePlan(loaded: LoadedConfig, opts: PlanOptions): Promise<PlanResult> {
  const now = opts.now ?? new Date();
  const material = await readPolicyMaterial(loaded);
  const store = opts.cache
    ? await VerdictStore.open({
        ...opts.cache,
        fingerprint: policyFingerprint(material, loaded.config.policy),
      })
    : undefined;
  const cache = new CertCache(store);
  const { policy, warnings: policyWarnings } = await loadPolicy(loaded, cache, now, material);
  const settings = await reconcileSettings(loaded);
  const analysis = analysisSettings(opts.analysis, opts.env);
  const git = await gitContext(loaded.baseDir, planInputsOf(loaded));

  const backends = await openBackends(loaded, opts);
  let result: ReturnType<typeof reconcile>;
  let directoryObjects: number | null;
  let directoryRead: ReadTally | null;
  let trustCollection: TrustCollectionView | undefined;
  let read: ReadSummary;
  let nextState: ReadState | undefined;
  const stateKey = opts.cache?.readState ? readStateKey(loaded) : undefined;
  let analysed: AnalysisStats;
  const trustSetting = loaded.config.tenant.smimeConfig?.issuingCA ?? "ignore";
  try {
    // Read only when the config asks: Get-SmimeConfig needs an Exchange role some tenants withhold.
    const collection =
      trustSetting === "ignore" ? Promise.resolve(undefined) : backends.tenant.readSmimeConfig();
    // Awaited after the read; until then its failure must not count as unhandled.
    collection.catch(() => {});
    const previous =
      opts.cache && stateKey && opts.cache.readState === "incremental"
        ? await previousState(opts.cache.dir, stateKey, opts.cache.note)
        : undefined;
    const cScope = contactsScope(loaded);
    const observed = await readObserved(backends.directory, directoryScope(loaded), backends.tenant, {
      ...(opts.onRead ? { progress: opts.onRead } : {}),
      ...(cScope ? { contactsScope: cScope } : {}),
      ...(stateKey ? { state: { previous } } : {}),
    });
    read = observed.summary;
    nextState = observed.state;
    directoryObjects = observed.directory ? observed.directory.length : null;
    directoryRead = observed.directoryRead;
    const { directory, tenant } = backends;
    const fingerprints: Fingerprinter = {
      // Reconcile only sees AD objects that this directory returned.
      directory: (r) => (directory as NonNullable<typeof directory>).fingerprint(r),
      exchange: (r) => tenant.fingerprint(r),
    };
    analysed = await preAnalyse(observedValues(observed, settings), cache, material, analysis, opts.analysis);
    result = reconcile(observed, settings, policyPort(policy, now, cache), fingerprints);
    const smimeConfig = await collection;
    if (smimeConfig !== undefined && trustSetting !== "ignore")
      trustCollection = judgeTrustCollection(trustSetting, smimeConfig.issuingCA, policy, now, cache);
  } finally {
    await backends.close();
  }
  await store?.save(cache, policy.trust);
  // Without a cursor on either side (offline files) the next plan reads whole anyway: no file.
  const tracked =
    nextState && (nextState.cursors.directory ?? nextState.cursors.contacts ?? nextState.cursors.exchange);
  if (opts.cache && stateKey && nextState && tracked) {
    const { note, dir } = opts.cache;
    // Like the cache, a failed save costs the next plan a full read, never this plan.
    await saveReadState(dir, stateKey, nextState).catch((e: Error) =>
      note(
        `note: could not save the read state in ${dir} (${e.message}); the next plan reads both sides whole`,
      ),
    );
  }

  const full = assemblePlan({
    createdAt: new Date(),
    policyTime: now,
    source: {
      configPath: git ? relative(git.root, loaded.path) : loaded.displayPath,
      configHash: loaded.hash,
      git: git ? { commit: git.commit, dirty: git.dirty } : null,
      directory: backends.directory?.description ?? "none",
      tenant: backends.tenant.description,
    },
    objects: [...result.objects, ...(trustCollection?.objects ?? [])],
    changes: [...result.changes, ...(trustCollection?.changes ?? [])],
    wouldRemove: result.wouldRemove,
    drift: result.drift,
    warnings: [
      ...policyWarnings.map((message) => ({ code: "policy-material", message })),
      ...result.warnings,
      ...(trustCollection?.warnings ?? []),
    ],
    inScope: result.inScope,
  });
  const plan =
    opts.targets && opts.targets.length > 0 ? targeted(full, opts.targets, result.recipients) : full;
  return {
    plan,
    trips: checkGuards(plan, safetySettings(loaded), { directoryObjects, directoryRead }),
    observation: {
      recipients: result.recipients,
      judge: coverageJudge(policy, now, cache),
      cas: [...watchedCas(policy), ...(trustCollection?.cas ?? [])],
    },
    cache: store?.stats(cache),
    read,
    analysis: analysed,
  };
}

async function previousState(
  dir: string,
  key: string,
  note: (line: string) => void,
): Promise<ReadState | undefined> {
  const loaded = await loadReadState(dir, key);
  if (loaded.ok) return loaded.state;
  if (loaded.reason !== "none")
    note(`note: read state in ${dir} ignored (${loaded.reason}); both sides are read whole`);
  return undefined;
}

/** The partial plan of `--target`; a target naming no recipient in scope is an error naming it. */
function targeted(full: Plan, raw: readonly string[], recipients: readonly Managed[]): Plan {
  const targets = normalizeTargets(raw);
  if (targets.length === 0) {
    throw new SmimesyncError("USAGE", "--target needs a recipient: an address, mail, DN or objectGUID");
  }
  const { addresses, unmatched } = matchTargets(targets, recipients);
  if (unmatched.length > 0) {
    const n = unmatched.length;
    throw new SmimesyncError(
      "TARGET_UNKNOWN",
      `--target ${unmatched.join(", ")}: ${n === 1 ? "matches" : "match"} no recipient in scope (${recipients.length} in scope)`,
      {
        hint: "A target is a recipient's mail or smtp proxy address, userPrincipalName, plan address (ad:user/...), DN or objectGUID, case-insensitive; the recipient must be in the config's scope.",
      },
    );
  }
  return restrictToRecipients(full, addresses, targets);
}
