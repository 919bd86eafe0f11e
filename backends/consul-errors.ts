// Why a Consul request failed, in words that say what to do: advice that depends on the error, and `permanent`
// where retrying cannot help until the user changes something (the token, its policy, --node).
import { BackendError } from './types.js';

const name = 'consul';

/** The shape of errors from the `consul` client (papi) and Node's sockets. */
interface RequestFailure {
  code?: string;
  message?: string;
  isTimeout?: boolean;
  response?: { statusCode?: number };
}

export interface FailureContext {
  /** `host:port` as the user gave it (--node). */
  address: string;
  /** Whether a token was set (--token or CONSUL_HTTP_TOKEN). */
  token: boolean;
}

/** The HTTP status of a failed request, if there was an answer. */
export function statusOf(error: unknown): number | undefined {
  return (error as RequestFailure | undefined)?.response?.statusCode;
}

/** True when the answer was not HTTP at all (papi/Node's parser: HPE_*), or an HTTP status Consul does not use for KV. */
export function looksForeign(error: unknown): boolean {
  const e = error as RequestFailure;
  const status = statusOf(error);
  return /^HPE_/.test(e?.code ?? '') || (status !== undefined && status !== 403 && status !== 500 && status !== 429);
}

/** `--node` names a server that is not a Consul agent (checked with /v1/status/leader before saying so). */
export function notConsul(what: string, { address }: FailureContext, cause: unknown): BackendError {
  return new BackendError(
    name,
    `${what} at ${address} failed: the server there is not a Consul agent (it does not answer /v1/status/leader, or sends no X-Consul-Index on a KV read); set --node to a Consul agent's HTTP address (port 8500 unless configured otherwise)`,
    { cause, permanent: true },
  );
}

/**
 * A BackendError for a failed request; `what` names the key or prefix ("reading app/db"), `keys` the Consul keys it
 * read, for the ACL policy a 403 needs (read as confd reads them: `app`, not `app/`). Never includes a value.
 */
export function failure(error: unknown, what: string, context: FailureContext, keys: readonly string[] = []): BackendError {
  if (error instanceof BackendError) return error;
  const e = error as RequestFailure;
  const status = statusOf(error);
  const { address } = context;
  if (status === 403) {
    const why = /ACL not found/i.test(e.message ?? '')
      ? 'the token is not known to Consul (HTTP 403, ACL not found)'
      : `permission denied (HTTP 403) ${context.token ? 'for the token given' : 'with no token set'}`;
    return new BackendError(
      name,
      `${what} at ${address} failed: ${why}; set a token whose ACL policy may list and read these keys (${policyFor(keys)}) with --token or CONSUL_HTTP_TOKEN`,
      { cause: error, permanent: true },
    );
  }
  let reason: string;
  if (status === 500 && /leader/i.test(e.message ?? '')) reason = 'the cluster has no leader (HTTP 500); wait for the Consul servers to elect one';
  else if (status !== undefined) reason = `HTTP ${status} (${e.message ?? 'no message'}); see the Consul agent's log`;
  else if (e.isTimeout) reason = `no answer in time; check that ${address} is a Consul agent's HTTP address (--node) and that it is not overloaded`;
  else if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|EPROTO|ERR_TLS|HANDSHAKE/i.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
    reason = `TLS handshake failed (${e.code ?? e.message}); check --client-ca-keys, --client-cert and --client-key (--client-insecure skips verifying the server)`;
  } else reason = connectionAdvice(e);
  return new BackendError(name, `${what} at ${address} failed: ${reason}`, { cause: error });
}

/** Advice for a connection that failed or broke: what the error says, not one guess for all. */
function connectionAdvice(e: RequestFailure): string {
  const code = e.code ?? '';
  if (code === 'ECONNREFUSED') return 'ECONNREFUSED: nothing accepts connections there; start the Consul agent, or set --node to the address it listens on';
  if (code === 'ECONNRESET' || /socket hang up/i.test(e.message ?? '')) {
    return `${code || 'socket hang up'}: the agent closed the connection (restarting or stopping?); retrying`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${code}: the host name does not resolve; check --node`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${code}: the address cannot be reached; check --node and the network`;
  return `${code || e.message || 'unknown error'}; check that a Consul agent answers there (--node)`;
}

/** The ACL rules that let keyplate read `keys` (a recursive read of each, so `key_prefix`; no trailing `/`: `app` covers `app` and `app/…`). */
function policyFor(keys: readonly string[]): string {
  if (keys.length === 0) return 'key_prefix "…" { policy = "list" }';
  const shown = keys.slice(0, 3).map((k) => `key_prefix ${JSON.stringify(k)} { policy = "list" }`);
  return keys.length > 3 ? `${shown.join(', ')}, and ${keys.length - 3} more` : shown.join(', ');
}
