package main

// teardown is what a command must undo, written once: each resource
// registers its closer as soon as it is made, and run closes them newest
// first, whether the command stops normally or a later step fails.
type teardown struct {
	closers []func()
}

// add registers close to run before everything registered earlier.
func (t *teardown) add(close func()) { t.closers = append(t.closers, close) }

// run calls the closers, newest first; a second run does nothing.
func (t *teardown) run() {
	closers := t.closers
	t.closers = nil
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
}
