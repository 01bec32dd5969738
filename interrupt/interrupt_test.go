//go:build unix

package interrupt

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestFinishOutlivesTheFirstSignalUntilItsBound(t *testing.T) {
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	var announced time.Duration
	fctx, cancel := Finish(ctx, 200*time.Millisecond, func(b time.Duration) { announced = b })
	defer cancel()
	_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the first signal did not end the command's context")
	}
	select {
	case <-fctx.Done():
		t.Fatal("the step's context ended with the first signal")
	case <-time.After(50 * time.Millisecond):
	}
	select {
	case <-fctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the step's context outlived its bound")
	}
	if announced != 200*time.Millisecond {
		t.Errorf("announced %v, want the bound", announced)
	}
}

func TestASecondSignalStopsAtOnce(t *testing.T) {
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	fctx, cancel := Finish(ctx, time.Hour, nil)
	defer cancel()
	_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	<-ctx.Done()
	time.Sleep(20 * time.Millisecond)
	_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case <-fctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the second signal did not end the step")
	}
	if Hard(ctx).Err() == nil {
		t.Error("Hard did not end")
	}
}

func TestFinishWithoutASignalRunsToItsEnd(t *testing.T) {
	fctx, cancel := Finish(context.Background(), time.Millisecond, nil)
	select {
	case <-fctx.Done():
		t.Fatal("ended without a signal")
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if fctx.Err() == nil {
		t.Error("cancel did not end it")
	}
}

func TestPoint(t *testing.T) {
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	t.Setenv(PointEnv, "up.plan")
	Point("up.networks")
	time.Sleep(50 * time.Millisecond)
	if ctx.Err() != nil {
		t.Fatal("a point that is not named fired")
	}
	Point("up.plan")
	// The step after the point already sees the Ctrl-C.
	if ctx.Err() == nil {
		t.Fatal("the named point returned before its signal ended the context")
	}
}
