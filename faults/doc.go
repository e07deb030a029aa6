// Package faults is pagerd's fault-injection suite: 3 etcd server
// processes (faults/etcdmember), 3 pagerd serve processes on them, a fake
// Twilio API over TLS in the test process, a load driver, and rounds of
// faults (kill -9 and SIGSTOP of the pagerd leader and of etcd members,
// quorum loss, a full restart, a Twilio that hangs or fails), each followed
// by a reconciliation of what was accepted against what phones received.
//
// It is linux-only and runs only when asked, so go test ./... stays fast:
//
//	go test ./faults -run TestFaults -v -timeout 15m -faults=short
//	go test ./faults -run TestFaults -v -timeout 3h -faults=long -rounds 22
//
// docs/reliability.md says what each fault does, what is checked, and the
// results.
package faults
