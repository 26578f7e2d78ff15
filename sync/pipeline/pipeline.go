// Package pipeline turns stream records into sink writes: a filter (key prefix, attribute equals,
// attribute exists) selects items, a mapping drops, renames and re-keys attributes, and a two-way
// pipeline recognises the changes sync itself wrote so that they are never echoed back.
package pipeline

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// Pipeline is one configured pipeline without its sink.
type Pipeline struct {
	Name   string
	where  config.Where
	m      config.Map
	source string // source table: the origin of two-way writes
	// twoWay is set for one half of a two-way pair.
	twoWay *config.BothWays
	// sinkTable is the two-way sink's table, whose own writes a two-way pipeline must not echo.
	sinkTable string
}

// New builds a pipeline from its config; source is the source table.
func New(p config.Pipeline, source string) *Pipeline {
	out := &Pipeline{Name: p.Name, where: p.Where, m: p.Map, source: source, twoWay: p.BothWays}
	out.sinkTable, _ = p.Sink.TwoWayTable()
	return out
}

// Skip says why a record produced no write.
type Skip string

// Reasons a record is skipped.
const (
	NotSkipped Skip = ""
	Filtered   Skip = "filtered"
	Echo       Skip = "echo"
)

// Write turns a record into a sink write. A record whose item no longer matches the filter but
// did before (the old image matched) becomes a delete: the item left the pipeline's selection.
func (p *Pipeline) Write(r stream.Record) (sink.Write, Skip, error) {
	ref := r.Shard + "/" + r.Seq
	if p.twoWay != nil && r.New != nil && sink.IsOwnWrite(r.New, p.sinkTable) {
		return sink.Write{}, Echo, nil
	}
	img, del, skip, err := p.selectImage(r, ref)
	if err != nil || skip != NotSkipped {
		return sink.Write{}, skip, err
	}
	w := sink.Write{Item: p.Map(img), Delete: del, Version: r.Version, Ref: ref, Keys: p.Map(r.Keys), Created: r.Created}
	p.setEvent(&w, r, del)
	if p.twoWay != nil {
		if err := p.setTwoWay(&w, r, img, del, ref); err != nil {
			return sink.Write{}, NotSkipped, err
		}
	}
	return w, NotSkipped, nil
}

// isDelete reports whether r deletes the item: a REMOVE, or a tombstone written by the other
// direction of a two-way pair.
func isDelete(r stream.Record) bool {
	return r.IsDelete() || (r.New != nil && item.IsTombstone(r.New))
}

// selectImage picks the image a record writes (or deletes) and whether the filter takes it: a
// new image the filter matches is written; one it no longer matches, when the old image did,
// deletes the item (it left the selection).
func (p *Pipeline) selectImage(r stream.Record, ref string) (img item.Item, del bool, skip Skip, err error) {
	if isDelete(r) {
		return p.selectDeleted(r, ref)
	}
	switch {
	case r.New == nil:
		// KEYS_ONLY or OLD_IMAGE stream: nothing to copy.
		return nil, false, NotSkipped, fmt.Errorf("pipeline %s: record %s has no new image: the source stream must use NEW_AND_OLD_IMAGES (or NEW_IMAGE)", p.Name, ref)
	case p.Match(r.New):
		return r.New, false, NotSkipped, nil
	case r.Old == nil || !p.Match(r.Old):
		return nil, false, Filtered, nil
	default:
		return r.Old, true, NotSkipped, nil
	}
}

// selectDeleted picks the image of a delete: the old image, else the (tombstone) new image,
// else the key alone, which must tell whether the filter ever selected the item.
func (p *Pipeline) selectDeleted(r stream.Record, ref string) (item.Item, bool, Skip, error) {
	var img item.Item
	switch {
	case r.Old != nil && !item.IsTombstone(r.Old):
		img = r.Old
	case r.New != nil:
		img = r.New
	default:
		img = r.Keys
		if missing := p.unseen(img); len(missing) > 0 && p.matchPresent(img) {
			// Filtering the delete out would leave the item in the sink for ever.
			return nil, true, NotSkipped, fmt.Errorf("pipeline %s: record %s is a delete without an old image (a NEW_IMAGE stream) and the filter reads %s: switch the source stream to NEW_AND_OLD_IMAGES", p.Name, ref, strings.Join(missing, ", "))
		}
	}
	if !p.Match(img) {
		return nil, true, Filtered, nil
	}
	return img, true, NotSkipped, nil
}

// setEvent sets the write's old image (when the item was in the selection before) and its event
// name: REMOVE, INSERT (new, or new to the selection) or MODIFY.
func (p *Pipeline) setEvent(w *sink.Write, r stream.Record, del bool) {
	oldIn := r.Old != nil && !item.IsTombstone(r.Old) && p.Match(r.Old)
	if oldIn {
		w.Old = p.Map(r.Old)
	}
	switch {
	case del:
		w.Event = string(stream.Remove)
	case r.Event == stream.Insert || (r.Old != nil && !oldIn):
		w.Event = string(stream.Insert)
	default:
		w.Event = string(stream.Modify)
	}
}

// setTwoWay sets what a two-way pipeline's write carries: its origin, its version value (the
// clock), and whether a delete removes sync's own copy of the target's write.
func (p *Pipeline) setTwoWay(w *sink.Write, r stream.Record, img item.Item, del bool, ref string) error {
	w.Origin = p.source
	w.Clock = img[p.twoWay.VersionAttribute]
	if r.New != nil {
		w.Clock = r.New[p.twoWay.VersionAttribute]
	}
	// A delete of sync's own copy of the target's write deletes what the target holds.
	w.SawTarget = del && r.Old != nil && sink.IsOwnWrite(r.Old, p.sinkTable)
	if w.Clock == nil {
		return fmt.Errorf("pipeline %s: record %s: item has no %s: in a two-way pair every writer must set it on every write", p.Name, ref, p.twoWay.VersionAttribute)
	}
	return nil
}

// filterAttributes lists the attributes the filter reads, sorted.
func (p *Pipeline) filterAttributes() []string {
	seen := map[string]bool{}
	for a := range p.where.KeyPrefix {
		seen[a] = true
	}
	for a := range p.where.AttributeEquals {
		seen[a] = true
	}
	for _, a := range p.where.AttributeExists {
		seen[a] = true
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// unseen lists the attributes the filter reads that img lacks.
func (p *Pipeline) unseen(img item.Item) []string {
	var out []string
	for _, a := range p.filterAttributes() {
		if _, ok := img[a]; !ok {
			out = append(out, a)
		}
	}
	return out
}

// matchPresent reports whether the conditions on the attributes img has all hold: with the
// key alone, a key prefix that does not match proves the item was never selected.
func (p *Pipeline) matchPresent(img item.Item) bool {
	present := make(item.Item, len(img))
	for _, a := range p.filterAttributes() {
		if v, ok := img[a]; ok {
			present[a] = v
		}
	}
	sub := &Pipeline{where: config.Where{KeyPrefix: map[string]string{}, AttributeEquals: map[string]config.Scalar{}}}
	for a, pre := range p.where.KeyPrefix {
		if _, ok := present[a]; ok {
			sub.where.KeyPrefix[a] = pre
		}
	}
	for a, v := range p.where.AttributeEquals {
		if _, ok := present[a]; ok {
			sub.where.AttributeEquals[a] = v
		}
	}
	return sub.Match(present)
}

// CheckNewImageOnly says why the pipeline cannot run on a NEW_IMAGE stream (records without the
// old image), or returns nil. Without the old image a REMOVE carries only the key, and a MODIFY
// that takes an item out of the filter looks like any change of an item never selected: a filter
// on anything but the key attributes (which every record carries, and no update changes) would
// drop such deletes silently. A two-way pipeline needs the old image of a delete for its version.
func (p *Pipeline) CheckNewImageOnly(key []string) error {
	if p.twoWay != nil {
		return fmt.Errorf("pipeline %s is two-way: it needs the deleted item's %s, which a NEW_IMAGE stream does not carry: switch the source stream to NEW_AND_OLD_IMAGES", p.Name, p.twoWay.VersionAttribute)
	}
	keys := map[string]bool{}
	for _, k := range key {
		keys[k] = true
	}
	var need []string
	for _, a := range p.filterAttributes() {
		if !keys[a] {
			need = append(need, a)
		}
	}
	if len(need) > 0 {
		return fmt.Errorf("pipeline %s filters on %s, which a NEW_IMAGE stream shows neither for deletes nor for updates that take an item out of the filter (both would be dropped silently): switch the source stream to NEW_AND_OLD_IMAGES, or filter only on the key attributes (%s)", p.Name, strings.Join(need, ", "), strings.Join(key, ", "))
	}
	return nil
}

// Match reports whether the item passes the pipeline's filter.
func (p *Pipeline) Match(it item.Item) bool {
	for a, prefix := range p.where.KeyPrefix {
		s, ok := it[a].(*types.AttributeValueMemberS)
		if !ok || !strings.HasPrefix(s.Value, prefix) {
			return false
		}
	}
	for a, want := range p.where.AttributeEquals {
		if !equals(it[a], want) {
			return false
		}
	}
	for _, a := range p.where.AttributeExists {
		if _, ok := it[a]; !ok {
			return false
		}
	}
	return true
}

func equals(v types.AttributeValue, want config.Scalar) bool {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value == want.Value
	case *types.AttributeValueMemberN:
		return want.Kind != "bool" && item.NormNumber(v.Value) == item.NormNumber(want.Value)
	case *types.AttributeValueMemberBOOL:
		return want.Kind == "bool" && fmt.Sprint(v.Value) == strings.ToLower(want.Value)
	default:
		return false
	}
}

// Map applies drop, rename and key mapping to a copy of the item's data attributes (sync's own
// bookkeeping attributes are never copied).
func (p *Pipeline) Map(it item.Item) item.Item {
	out := make(item.Item, len(it))
	drop := make(map[string]bool, len(p.m.Drop))
	for _, d := range p.m.Drop {
		drop[d] = true
	}
	for k, v := range it {
		if drop[k] || strings.HasPrefix(k, item.Prefix) {
			continue
		}
		if to, ok := p.m.Key[k]; ok {
			k = to
		} else if to, ok := p.m.Rename[k]; ok {
			k = to
		}
		out[k] = v
	}
	return out
}

// SelectsMapped reports whether an item as the sink holds it (after Map) belongs to the
// pipeline: the filter is applied under the names the mapping gave its attributes. A sink table
// shared with other entities (the monolith's single table, in the way back) then counts only
// this pipeline's items. When the mapping drops an attribute the filter reads, the filter cannot
// be applied and every item counts.
func (p *Pipeline) SelectsMapped(it item.Item) bool {
	name := func(a string) (string, bool) {
		for _, d := range p.m.Drop {
			if d == a {
				return "", false
			}
		}
		if to, ok := p.m.Key[a]; ok {
			return to, true
		}
		if to, ok := p.m.Rename[a]; ok {
			return to, true
		}
		return a, true
	}
	mapped := make(item.Item, len(it))
	for a := range p.where.KeyPrefix {
		n, ok := name(a)
		if !ok {
			return true
		}
		mapped[a] = it[n]
	}
	for a := range p.where.AttributeEquals {
		n, ok := name(a)
		if !ok {
			return true
		}
		mapped[a] = it[n]
	}
	for _, a := range p.where.AttributeExists {
		n, ok := name(a)
		if !ok {
			return true
		}
		if v, ok := it[n]; ok {
			mapped[a] = v
		}
	}
	for a, v := range mapped {
		if v == nil {
			delete(mapped, a)
		}
	}
	return p.Match(mapped)
}

// FilterSurvivesMapping reports whether SelectsMapped can apply the filter to the sink's items:
// no attribute the filter reads is dropped by the mapping.
func (p *Pipeline) FilterSurvivesMapping() bool {
	for _, a := range p.filterAttributes() {
		for _, d := range p.m.Drop {
			if d == a {
				return false
			}
		}
	}
	return true
}

// Selects reports whether a source item (from a scan) belongs to the pipeline and is not a
// tombstone; backfill and verify use it.
func (p *Pipeline) Selects(it item.Item) bool {
	return !item.IsTombstone(it) && p.Match(it)
}
