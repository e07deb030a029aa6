package scheduler

import (
	"container/heap"
	"time"
)

// timerQueue is a min-heap of alert timers with an index for updates.
type timerQueue struct {
	items []*timerItem
	index map[int64]*timerItem
}

type timerItem struct {
	id  int64
	due time.Time
	i   int
}

func (q *timerQueue) Len() int           { return len(q.items) }
func (q *timerQueue) Less(i, j int) bool { return q.items[i].due.Before(q.items[j].due) }
func (q *timerQueue) Swap(i, j int) {
	q.items[i], q.items[j] = q.items[j], q.items[i]
	q.items[i].i, q.items[j].i = i, j
}
func (q *timerQueue) Push(x any) {
	it := x.(*timerItem)
	it.i = len(q.items)
	q.items = append(q.items, it)
}
func (q *timerQueue) Pop() any {
	it := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return it
}

func (q *timerQueue) set(id int64, due time.Time) {
	if it, ok := q.index[id]; ok {
		if it.due.Equal(due) {
			return // as it was: a sweep's read of every timer is mostly this
		}
		it.due = due
		heap.Fix(q, it.i)
		return
	}
	it := &timerItem{id: id, due: due}
	q.index[id] = it
	heap.Push(q, it)
}

func (q *timerQueue) remove(id int64) {
	if it, ok := q.index[id]; ok {
		heap.Remove(q, it.i)
		delete(q.index, id)
	}
}

func (q *timerQueue) peek() (time.Time, bool) {
	if len(q.items) == 0 {
		return time.Time{}, false
	}
	return q.items[0].due, true
}

func (q *timerQueue) popDue(now time.Time) (int64, time.Time, bool) {
	if len(q.items) == 0 || q.items[0].due.After(now) {
		return 0, time.Time{}, false
	}
	it := heap.Pop(q).(*timerItem)
	delete(q.index, it.id)
	return it.id, it.due, true
}
