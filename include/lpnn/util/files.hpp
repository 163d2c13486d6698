// Files written without following links: a temporary name another user planted (a symbolic link to
// one of your files in a shared directory) is never written through.
#pragma once

#include <string>
#include <string_view>

namespace lpnn {

// The whole text of `path`; throws lpnn::Error "cannot open the WHAT PATH: REASON" when it cannot be
// opened (e.g. what = "model file").
std::string read_text_file(const std::string& path, const char* what);

// Writes `content` to `path` through a fresh temporary file in the same directory (mkstemp: created
// exclusively, so never through a link), synced, then renamed over `path` (which replaces a link at
// `path` instead of following it). The file gets the usual mode (0666 less the umask). Throws
// lpnn::Error naming `what` and `path`; on failure `path` is unchanged and no temporary file is left.
void write_file_replacing(const std::string& path, std::string_view content, const char* what);

// Creates `path` as a new, empty regular file: whatever is at `path` first, a stale file or a
// symbolic link, is removed (the link itself, never its target), then the file is created with
// O_CREAT | O_EXCL | O_NOFOLLOW. Returns the open descriptor; throws lpnn::Error if another process
// creates the name in between.
int create_exclusively(const std::string& path);

// Bytes an unprivileged writer may still use on the file system holding `path` (statvfs's f_bavail);
// -1 when it cannot be told (no such directory, a pseudo file system reporting no blocks).
std::int64_t free_space_bytes(const std::string& path);

// True when `path` is a symbolic link (dangling or not).
bool is_symlink(const std::string& path);

}  // namespace lpnn
