// Node-API addon for src/reaper.ts: waitpid(2) on one pid that JavaScript has
// already chosen (a zombie child that libuv did not spawn). Deciding *which*
// pid stays in JavaScript, where the set of Node-spawned children is known;
// this file only does the one system call Node does not expose.

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <node_api.h>

#define CHECK_NAPI(env, call)                                   \
  do {                                                          \
    if ((call) != napi_ok) {                                    \
      napi_throw_error((env), NULL, "reaper: " #call " failed"); \
      return NULL;                                              \
    }                                                           \
  } while (0)

// reap(pid: number): { pid, exitCode, signal } | null
//   null when pid is still running or is not (or no longer) our child: a
//   WNOHANG wait on one specific pid never blocks and never touches any
//   other child, so libuv's children keep their exit status.
static napi_value Reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "reaper: reap(pid) needs a pid");
    return NULL;
  }
  int32_t pid = 0;
  if (napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "reaper: reap(pid) needs a positive integer pid");
    return NULL;
  }

  int status = 0;
  pid_t got;
  do {
    got = waitpid((pid_t)pid, &status, WNOHANG);
  } while (got == -1 && errno == EINTR);

  napi_value result;
  if (got == 0 || (got == -1 && errno == ECHILD)) {
    CHECK_NAPI(env, napi_get_null(env, &result));
    return result;
  }
  if (got == -1) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }

  napi_value pid_value, code_value, signal_value;
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_create_int32(env, got, &pid_value));
  if (WIFEXITED(status)) {
    CHECK_NAPI(env, napi_create_int32(env, WEXITSTATUS(status), &code_value));
    CHECK_NAPI(env, napi_get_null(env, &signal_value));
  } else {
    CHECK_NAPI(env, napi_get_null(env, &code_value));
    CHECK_NAPI(env, napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0, &signal_value));
  }
  CHECK_NAPI(env, napi_set_named_property(env, result, "pid", pid_value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "exitCode", code_value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "signal", signal_value));
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK_NAPI(env, napi_create_function(env, "reap", NAPI_AUTO_LENGTH, Reap, NULL, &fn));
  CHECK_NAPI(env, napi_set_named_property(env, exports, "reap", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
