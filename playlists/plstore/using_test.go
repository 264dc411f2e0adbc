package plstore

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestStore_Using(t *testing.T) {
	lib, pls := newStores(t)
	ctx := context.Background()
	for _, id := range []string{"t1", "t2", "t3"} {
		addTrack(t, lib, id, time.Minute)
	}
	// t1 twice in "b", once in "A"; t3 in none.
	for _, pl := range []struct {
		name string
		ids  []string
	}{
		{"b", []string{"t1", "t2", "t1"}}, {"A", []string{"t2", "t1"}}, {"c", []string{"t2"}},
	} {
		if _, err := pls.Save(ctx, arc(pl.name, pl.ids...)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		id   string
		want []string
	}{{"t1", []string{"A", "b"}}, {"t2", []string{"A", "b", "c"}}, {"t3", nil}} {
		got, err := pls.Using(ctx, c.id)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Using(%s) = %v, %v; want %v", c.id, got, err, c.want)
		}
	}
}
