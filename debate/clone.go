package debate

import "reflect"

// Clone returns a deep copy of the event: no pointer, slice or map in it is shared
// with e. The engine emits copies, so no consumer (a sink that scrubs, a filter, a
// progress printer) can change the engine's own record through an event it was given.
func (e Event) Clone() Event { return e.Redact(nil) }

// Redact returns a deep copy of the event with f applied to every string in it
// (f nil: a plain copy). It walks the event by reflection rather than by a list of
// fields so that a text field added later cannot be missed: a key that reaches a new
// field is the leak a hand-kept list lets through.
func (e Event) Redact(f func(string) string) Event {
	var out Event
	deepCopy(reflect.ValueOf(&out).Elem(), reflect.ValueOf(e), f)
	return out
}

// deepCopy sets dst (settable, of src's type) to a copy of src that shares no
// memory with it, applying f (when set) to every exported string.
func deepCopy(dst, src reflect.Value, f func(string) string) {
	switch src.Kind() {
	case reflect.String:
		if f != nil {
			dst.SetString(f(src.String()))
		} else {
			dst.Set(src)
		}
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem(), f)
		dst.Set(p)
	case reflect.Struct:
		dst.Set(src) // unexported fields (time.Time's) are values or shared by design
		for i := range src.NumField() {
			if d := dst.Field(i); d.CanSet() {
				deepCopy(d, src.Field(i), f)
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i), f)
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(src.Type().Key()).Elem()
			deepCopy(k, it.Key(), f)
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value(), f)
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		deepCopy(v, src.Elem(), f)
		dst.Set(v)
	default:
		dst.Set(src)
	}
}
