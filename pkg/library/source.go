package library

// BySource returns the recaps made from a source with one of keys
// (recap.Source.Keys), newest first.
func (l *Library) BySource(keys []string) []*Entry {
	if len(keys) == 0 {
		return nil
	}
	l.refresh()
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []*Entry
	for _, e := range l.idx.byID {
		for _, k := range e.SourceKeys {
			if want[k] {
				out = append(out, e)
				break
			}
		}
	}
	sortEntries(out, SortNewest)
	return out
}
