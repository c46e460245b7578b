// Named places in the commit path where the crash test (tests/crash) kills
// the process, as RocksDB's db_stress does with its TEST_KILL_RANDOM points.
//
// Test only: inert unless the environment variable CONVEY_TEST_KILL_POINT
// is `NAME:N` when the store opens; then the N-th pass through the point
// called NAME raises SIGKILL. Names: commit.before (a transition about to be
// written), commit.after (written, not yet returned), sync.before,
// sync.after (around the log sync of group commit).
#ifndef CONVEY_RUNTIME_STORE_KILL_POINTS_H_
#define CONVEY_RUNTIME_STORE_KILL_POINTS_H_

namespace convey {
namespace internal {

// Reads CONVEY_TEST_KILL_POINT (called when a store opens).
void ArmKillPointFromEnvironment();
// Kills the process when `name` is the armed point and its count is reached.
void KillPoint(const char* name);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_STORE_KILL_POINTS_H_
