// Exit codes shared by every command (and by `plan --detailed-exitcode`, like Terraform's).
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** Something to look at: the plan has changes, there is drift, a recipient is not synced. */
export const EXIT_CHANGES = 2;
/** `status --wait`: the time ran out while recipients were still pending. */
export const EXIT_TIMEOUT = 3;
export type ExitCode = typeof EXIT_OK | typeof EXIT_ERROR | typeof EXIT_CHANGES | typeof EXIT_TIMEOUT;
