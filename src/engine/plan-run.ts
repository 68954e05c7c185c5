// `plan` end to end (the orchestrator, after gitops-engine's engine.Sync): read both sides,
// reconcile, assemble the plan, check the guards. Writes nothing.
import { relative } from "node:path";
import { checkGuards, type GuardTrip } from "../apply/guards.js";
import { CertCache } from "../certs/index.js";
import type { LoadedConfig } from "../config/load.js";
import type { DirectoryRecipient } from "../directory/types.js";
import { SmimesyncError } from "../errors.js";
import { gitContext } from "../gitops/git-binding.js";
import { planInputsOf } from "../gitops/plan-inputs.js";
import { assemblePlan } from "../plan/assemble.js";
import { restrictToRecipients } from "../plan/subset.js";
import type { Plan } from "../plan/types.js";
import type { Fingerprinter } from "../reconcile/observed.js";
import { type Managed, type ReconcileResult, Reconciler } from "../reconcile/reconcile.js";
import { matchTargets, normalizeTargets } from "../reconcile/targets.js";
import type { WatchedCa } from "../report/build.js";
import type { CoverageJudge } from "../report/ports.js";
import {
  type AnalysisOptions,
  type AnalysisStats,
  analysisSettings,
  repositoryValues,
  StreamAnalysis,
  valuesOf,
} from "./analysis-pool.js";
import { type BackendOptions, openBackends } from "./backends.js";
import { loadPolicy, readPolicyMaterial } from "./policy-material.js";
import { coverageJudge, policyPort, watchedCas } from "./policy-port.js";
import { type ReadEnd, type ReadProgress, type ReadSummary, readObserved } from "./read.js";
import { type ReadAhead, readAhead } from "./read-ahead.js";
import { loadReadState, type ReadState, ReadStateWriter, readStateKey } from "./read-state.js";
import { contactsScope, directoryScope, reconcileSettings, safetySettings } from "./settings.js";
import { judgeTrustCollection, type TrustCollectionView } from "./trust-collection.js";
import { type CacheLimits, type CacheStats, policyFingerprint, VerdictStore } from "./verdict-cache.js";

/** Directory objects per page handed to analysis and reconcile, and pages read ahead of them. */
const PAGING = { objects: 500, ahead: 8 } as const;

interface DirectoryPage {
  readonly page: readonly DirectoryRecipient[];
  readonly analysed: { readonly ready: () => Promise<void> };
}

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
  /**
   * Keep every recipient for the coverage report (`observation`). Without it the directory's
   * objects are let go as they are planned: a plan holds only what its changes need.
   */
  readonly observe?: boolean;
  /** How the directory streams through analysis and reconcile (tests use small pages). */
  readonly paging?: { readonly objects: number; readonly ahead: number };
}

export interface PlanResult {
  readonly plan: Plan;
  /** Guards the plan trips: apply will refuse it. */
  readonly trips: readonly GuardTrip[];
  /** What the coverage report reads of the same run (src/report), when asked (`observe`). */
  readonly observation: PlanObservation | undefined;
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

/** With `observe`, the run's recipients come back for the coverage report. */
export type ObservedPlan = PlanResult & { readonly observation: PlanObservation };

export async function computePlan(
  loaded: LoadedConfig,
  opts: PlanOptions & { observe: true },
): Promise<ObservedPlan>;
export async function computePlan(loaded: LoadedConfig, opts: PlanOptions): Promise<PlanResult>;
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
  // Only the commands that judge coverage (report, status, inspect, markdown) need every recipient.
  const keep = opts.observe === true || (opts.targets !== undefined && opts.targets.length > 0);
  const git = await gitContext(loaded.baseDir, planInputsOf(loaded));

  const backends = await openBackends(loaded, opts);
  let result: ReconcileResult;
  let end: ReadEnd;
  let trustCollection: TrustCollectionView | undefined;
  const stateKey = opts.cache?.readState ? readStateKey(loaded) : undefined;
  let analysed: AnalysisStats;
  const trustSetting = loaded.config.tenant.smimeConfig?.issuingCA ?? "ignore";
  const analysis = new StreamAnalysis(
    cache,
    material,
    analysisSettings(opts.analysis, opts.env),
    opts.analysis,
  );
  let reading: ReadAhead<DirectoryPage> | undefined;
  // The users' scope's records for the next plan, written as they stream (read-state.ts).
  let writer: ReadStateWriter | undefined;
  const paging = opts.paging ?? PAGING;
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
    const observed = readObserved(backends.directory, directoryScope(loaded), backends.tenant, {
      ...(opts.onRead ? { progress: opts.onRead } : {}),
      ...(cScope ? { contactsScope: cScope } : {}),
      ...(opts.cache && stateKey
        ? {
            state: {
              previous,
              records: () => {
                const w = new ReadStateWriter(opts.cache?.dir as string, stateKey);
                writer = w;
                return (r: DirectoryRecipient) => w.directory(r);
              },
            },
          }
        : {}),
    });
    analysis.add(repositoryValues(settings));
    // The directory is read (and its pages analysed) while the tenant is; reconcile needs the
    // tenant indexed first, then plans each page as it comes, so the directory is never held whole.
    reading = observed.directory
      ? readAhead(observed.directory, paging.objects, paging.ahead, (page) => ({
          page,
          analysed: analysis.add(valuesOf(page)),
        }))
      : undefined;
    const tenant = await observed.tenant;
    const { directory } = backends;
    const fingerprints: Fingerprinter = {
      // Reconcile only sees AD objects that this directory returned.
      directory: (r) => (directory as NonNullable<typeof directory>).fingerprint(r),
      exchange: (r) => backends.tenant.fingerprint(r),
    };
    const reconciler = new Reconciler(tenant, settings, policyPort(policy, now, cache), fingerprints, {
      keepRecipients: keep,
    });
    for await (const { page, analysed: ready } of reading?.pages ?? []) {
      await ready.ready();
      for (const ad of page) reconciler.directory(ad);
      // The page's values are recorded and let go: the run holds only what its plan needs.
      store?.record(cache, policy.trust);
    }
    const adContacts = await observed.adContacts;
    // What is judged after the directory: cloud-only recipients (authority Exchange) and contacts.
    await analysis
      .add(valuesOf([...tenant.exchange.filter((r) => !r.isDirSynced), ...(adContacts ?? [])]))
      .ready();
    result = reconciler.finish(adContacts);
    end = await observed.end();
    const smimeConfig = await collection;
    if (smimeConfig !== undefined && trustSetting !== "ignore")
      trustCollection = judgeTrustCollection(trustSetting, smimeConfig.issuingCA, policy, now, cache);
  } catch (e) {
    // Nothing of a failed plan is kept: the last plan's read state stays as it was.
    await writer?.abort();
    throw e;
  } finally {
    reading?.cancel();
    analysed = await analysis.close();
    await backends.close();
  }
  const { state: nextState, summary: read, directoryObjects, directoryRead } = end;
  await store?.save(cache, policy.trust);
  // Without a cursor on either side (offline files) the next plan reads whole anyway: no file.
  const tracked =
    nextState && (nextState.cursors.directory ?? nextState.cursors.contacts ?? nextState.cursors.exchange);
  if (opts.cache && stateKey && nextState && tracked) {
    const { note, dir } = opts.cache;
    // Like the cache, a failed save costs the next plan a full read, never this plan.
    await (writer ?? new ReadStateWriter(dir, stateKey))
      .finish(nextState)
      .catch((e: Error) =>
        note(
          `note: could not save the read state in ${dir} (${e.message}); the next plan reads both sides whole`,
        ),
      );
  } else await writer?.abort();

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
    observation: opts.observe
      ? {
          recipients: result.recipients,
          judge: coverageJudge(policy, now, cache),
          cas: [...watchedCas(policy), ...(trustCollection?.cas ?? [])],
        }
      : undefined,
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
