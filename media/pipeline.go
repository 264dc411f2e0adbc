package media

import (
	"context"
	"errors"
	"sync"
	"time"
)

// pending is a file whose processing is done but for its row: the rows of
// many files are written in one transaction (a commit costs far more than a
// row), and the file's result waits for that commit.
type pending struct {
	res Result
	add TrackFile
	// ifAdded and ifKnown are the file's status once the row lands, as the
	// track turns out new or already known (the same content can arrive
	// twice in one run).
	ifAdded, ifKnown Status
	// undo removes what processing left on disk (a managed copy) when the
	// row does not land.
	undo func()
}

// step processes one item: a final result, or a pending one for the writer.
type step[T any] func(ctx context.Context, item T) (Result, *pending, error)

// maxBatch bounds how many rows one transaction writes, and batchWindow how
// long a row waits for others to share its commit.
const (
	maxBatch    = 256
	batchWindow = 20 * time.Millisecond
)

// run processes items on 2×workers goroutines (so that while `workers`
// files are being probed, others hash or wait for the disk), writes their rows
// through one writer goroutine in batches, and reports each result from the
// calling goroutine. It stops at the first error that is not a file's own problem
// (the store failing) or when ctx ends; results already reported stay
// reported, and rows not yet written are undone with their files.
func run[T any](parent context.Context, st Store, workers int, items []T, rep Reporter, do step[T]) (Summary, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	type outcome struct {
		res Result
		err error
	}
	jobs := make(chan T)
	writes := make(chan *pending, workers)
	out := make(chan outcome)
	var wg sync.WaitGroup
	for range min(2*workers, max(len(items), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for item := range jobs {
				res, p, err := do(ctx, item)
				if p != nil && err == nil {
					select {
					case writes <- p:
					case <-ctx.Done():
						p.undo()
						return
					}
					continue
				}
				select {
				case out <- outcome{res, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, item := range items {
			select {
			case jobs <- item:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(writes)
	}()
	go func() {
		defer close(out)
		for p := range writes {
			// Gather what arrives within batchWindow of the first row: a
			// commit costs a dozen system calls, a row a fraction of one.
			batch := []*pending{p}
			window := time.NewTimer(batchWindow)
		gather:
			for len(batch) < maxBatch {
				select {
				case q, ok := <-writes:
					if !ok {
						break gather
					}
					batch = append(batch, q)
				case <-window.C:
					break gather
				case <-ctx.Done():
					break gather
				}
			}
			window.Stop()
			results, err := commit(ctx, st, batch)
			if err != nil {
				for _, p := range batch {
					p.undo()
				}
				select {
				case out <- outcome{err: err}:
				case <-ctx.Done():
				}
				continue
			}
			for _, r := range results {
				select {
				case out <- outcome{res: r}:
				case <-ctx.Done():
				}
			}
		}
	}()

	sum := Summary{}
	var firstErr error
	for o := range out {
		var fe fileError
		switch {
		case o.err == nil:
		case errors.As(o.err, &fe) && ctx.Err() == nil:
			o.res.Status, o.res.Error = StatusRejected, fe.Error()
		default:
			// Not the file's fault (or we are stopping): report nothing for
			// it and stop the run.
			if firstErr == nil && ctx.Err() == nil {
				firstErr = o.err
			}
			cancel()
			continue
		}
		sum[o.res.Status]++
		if rep != nil {
			rep.Done(o.res)
		}
	}
	if firstErr != nil {
		return sum, firstErr
	}
	return sum, parent.Err()
}

// commit writes a batch of rows in one transaction and returns the files'
// final results.
func commit(ctx context.Context, st Store, batch []*pending) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	adds := make([]TrackFile, len(batch))
	for i, p := range batch {
		adds[i] = p.add
	}
	added, err := st.AddTracks(ctx, adds)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(batch))
	for i, p := range batch {
		results[i] = p.res
		results[i].Status = p.ifKnown
		if added[i] {
			results[i].Status = p.ifAdded
		}
	}
	return results, nil
}
