package catalog

import (
	"errors"
	"net/http"

	invstore "example.com/shop/inventory/store"
	"example.com/shop/models"
	"example.com/shop/platform/httpx"
)

// Handler serves the catalog API.
type Handler struct {
	Svc *Service
	// Stock is read directly to show availability next to each product. It is the inventory
	// team's table; nobody got round to asking them for an API. May be nil.
	Stock *invstore.Repo
}

// RegisterRoutes adds the catalog routes to mux.
func (h *Handler) RegisterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /products", h.List)
	mux.HandleFunc("GET /products/{sku}", h.Get)
	mux.HandleFunc("POST /products", h.Create)
	mux.HandleFunc("PUT /products/{sku}", h.Update)
	mux.HandleFunc("DELETE /products/{sku}", h.Delete)
}

// productView is a product with its availability.
type productView struct {
	models.Product
	Available *int `json:"available,omitempty"`
}

// List returns products: ?category=mugs&q=blue&all=true (inactive ones only with all=true).
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	products, err := h.Svc.List(r.Context(), Filter{Category: q.Get("category"), Query: q.Get("q"), ActiveOnly: q.Get("all") != "true"})
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	views := make([]productView, len(products))
	skus := make([]string, len(products))
	for i, p := range products {
		views[i] = productView{Product: p}
		skus[i] = p.SKU
	}
	if h.Stock != nil && len(skus) > 0 {
		avail, err := h.Stock.Available(r.Context(), skus...)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		for i := range views {
			n := avail[views[i].SKU]
			views[i].Available = &n
		}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"products": views})
}

// Get returns one product.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	p, err := h.Svc.Get(r.Context(), r.PathValue("sku"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	v := productView{Product: p}
	if h.Stock != nil {
		avail, err := h.Stock.Available(r.Context(), p.SKU)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		n := avail[p.SKU]
		v.Available = &n
	}
	httpx.JSON(w, http.StatusOK, v)
}

// Create adds a product.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	var p models.Product
	if err := httpx.Decode(w, r, &p); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	created, err := h.Svc.Create(r.Context(), p)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	w.Header().Set("Location", "/products/"+created.SKU)
	httpx.JSON(w, http.StatusCreated, created)
}

// Update replaces a product; the path's sku wins over the body's.
func (h *Handler) Update(w http.ResponseWriter, r *http.Request) {
	var p models.Product
	if err := httpx.Decode(w, r, &p); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	p.SKU = r.PathValue("sku")
	updated, err := h.Svc.Update(r.Context(), p)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, updated)
}

// Delete removes a product.
func (h *Handler) Delete(w http.ResponseWriter, r *http.Request) {
	if err := h.Svc.Delete(r.Context(), r.PathValue("sku")); err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func apiError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("%v", err)
	case errors.Is(err, ErrExists):
		return httpx.Conflict("%v", err)
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrInactive):
		return httpx.BadRequest("%v", err)
	}
	return err
}
