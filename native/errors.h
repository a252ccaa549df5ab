// Errors thrown to JavaScript by the packet I/O addon. Every failure of a system call becomes a JS Error
// carrying `code` (the errno name, e.g. "EPERM"), `errno` (the number) and `syscall`; the TypeScript
// wrapper in src/io/ turns these into SystemError with a hint for the user. No policy lives here.
#pragma once

#include <napi.h>

namespace packet_io {

/** Throws a JS Error for a failed system call: message "<syscall>: <strerror>", plus code/errno/syscall. */
void ThrowErrno(Napi::Env env, int err, const char* syscall);

/** Throws a JS TypeError or RangeError for a programming error in the caller (wrong argument). */
void ThrowTypeError(Napi::Env env, const char* message);
void ThrowRangeError(Napi::Env env, const char* message);

/** The errno name ("EAGAIN") or "E<number>" when the C library has none. */
const char* ErrnoName(int err);

}  // namespace packet_io
