/**
 * Verification of published outputs: every LIVE artifact that carries a content fingerprint
 * (`tsrunner_content_fingerprint`) is read back from its artifact store and fingerprinted
 * again. Outputs that are gone are `lost`, outputs whose bytes differ are `changed`.
 *
 * With `mark`, each problem is recorded on its artifact, so no run reuses it and every reader
 * sees why: a lost output becomes `DELETED` (its payload no longer exists), a changed one
 * `MARKED_FOR_DELETION` (its payload exists but is not what was recorded); both get
 * `tsrunner_verify_problem` with the finding. The cache lookup only reuses LIVE artifacts, so
 * the steps that made them run again next time.
 */
import { type Artifact, Artifact_State } from '../proto/messages.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import type { ArtifactStore } from './artifact-store.js'
import { CUSTOM_PROPERTY } from './tfx-records.js'

/** What is wrong with one artifact's payload. */
export interface VerifyProblem {
  readonly artifactId: bigint
  readonly uri: string
  /** `lost`: gone; `changed`: different bytes; `unreadable`: could not be read (not marked). */
  readonly kind: 'lost' | 'changed' | 'unreadable'
  readonly problem: string
}

/** The outcome of {@link verifyArtifacts}. */
export interface VerifyReport {
  /** LIVE artifacts with a fingerprint that were checked. */
  readonly checked: number
  readonly intact: number
  readonly problems: readonly VerifyProblem[]
  /** LIVE artifacts without a fingerprint (written by other tools), or outside the root. */
  readonly skipped: number
  /** Artifacts whose state was changed (with `mark`). */
  readonly marked: number
}

/** Options of {@link verifyArtifacts}. */
export interface VerifyOptions {
  /** Record each lost or changed artifact (see the module comment). */
  readonly mark?: boolean
  /** Check only artifacts whose uri starts with this (e.g. the pipeline root). */
  readonly under?: string
  /** Called after each checked artifact, for progress. */
  readonly onChecked?: (artifact: Artifact, problem: VerifyProblem | undefined) => void
}

function kindOf(problem: string): VerifyProblem['kind'] {
  if (problem.startsWith('content changed')) return 'changed'
  if (problem.startsWith('missing')) return 'lost'
  return 'unreadable'
}

/** Checks every LIVE fingerprinted artifact of `store` against `artifacts`. */
export async function verifyArtifacts(
  store: AsyncMetadataStore,
  artifacts: ArtifactStore,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  let checked = 0
  let skipped = 0
  let marked = 0
  const problems: VerifyProblem[] = []
  let pageToken: string | undefined
  do {
    const page = await store.getArtifacts({
      options: { max_result_size: 100, ...(pageToken === undefined ? {} : { next_page_token: pageToken }) },
    })
    for (const artifact of page.artifacts ?? []) {
      if (artifact.state !== Artifact_State.LIVE) continue
      const fingerprint = artifact.custom_properties?.[CUSTOM_PROPERTY.contentFingerprint]?.string_value
      const uri = artifact.uri ?? ''
      if (fingerprint === undefined || (options.under !== undefined && !uri.startsWith(options.under))) {
        skipped++
        continue
      }
      checked++
      const found = await artifacts.outputProblem(uri, fingerprint)
      const problem =
        found === undefined
          ? undefined
          : { artifactId: artifact.id as bigint, uri, kind: kindOf(found), problem: found }
      if (problem !== undefined) {
        problems.push(problem)
        if (options.mark === true && problem.kind !== 'unreadable') {
          await store.putArtifacts({
            artifacts: [
              {
                ...artifact,
                state: problem.kind === 'lost' ? Artifact_State.DELETED : Artifact_State.MARKED_FOR_DELETION,
                custom_properties: {
                  ...artifact.custom_properties,
                  [CUSTOM_PROPERTY.verifyProblem]: { string_value: problem.problem },
                },
              },
            ],
          })
          marked++
        }
      }
      options.onChecked?.(artifact, problem)
    }
    pageToken = page.next_page_token === '' ? undefined : page.next_page_token
  } while (pageToken !== undefined)
  return { checked, intact: checked - problems.length, problems, skipped, marked }
}
