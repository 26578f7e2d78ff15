package notifications

import (
	"net/http"

	"example.com/shop/platform/httpx"
)

// Handler serves the notification history.
type Handler struct {
	Svc *Service
}

// RegisterRoutes adds the notifications routes to mux.
func (h *Handler) RegisterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /notifications/{user}", h.History)
}

// History returns a user's notifications, newest first: ?limit=20.
func (h *Handler) History(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.QueryInt(r, "limit", 20)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	msgs, err := h.Svc.History(r.Context(), r.PathValue("user"), limit)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if msgs == nil {
		msgs = []Message{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"notifications": msgs})
}
