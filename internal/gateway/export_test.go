package gateway

// SetStateWindow makes VerifyState hold n entries at a time (tests merge
// across many windows with a few checks); the returned func restores it.
func SetStateWindow(n uint64) func() {
	old := stateWindow
	stateWindow = n
	return func() { stateWindow = old }
}

// SetMaxStragglers bounds the out-of-order records compared one by one.
func SetMaxStragglers(n int) func() {
	old := maxStragglers
	maxStragglers = n
	return func() { maxStragglers = old }
}
