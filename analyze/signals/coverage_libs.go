package signals

import (
	"go/types"
	"maps"
	"slices"

	"github.com/carve-dev/carve/analyze/facts"
)

// Coverage kinds of the data and messaging signals.
const (
	kindData      = facts.KindData
	kindMessaging = facts.KindMessaging
)

// maxUnresolved is how many unresolved call sites a signal reports per kind.
const maxUnresolved = 100

// libNames names the recognised libraries by the import path of their package.
var libNames = map[string]string{
	"database/sql": "database/sql", "github.com/jackc/pgx/v5": "pgx", "github.com/jackc/pgx/v5/pgxpool": "pgx",
	"github.com/jackc/pgx/v4": "pgx", "github.com/jackc/pgx/v4/pgxpool": "pgx",
	dynamoPkg: "dynamodb", dynamoTypesPkg: "dynamodb", sqlxPkg: "sqlx", squirrelPkg: "squirrel", goquPkg: "goqu",
	gormPkg: "gorm", entPkg: "ent", mongoPkg: "mongodb", mongoV2Pkg: "mongodb", redisPkg: "go-redis", redisV8Pkg: "go-redis",
	natsPkg: "nats", natsJSPkg: "nats", amqpPkg: "amqp091", amqpOldPkg: "amqp",
	"github.com/IBM/sarama": "sarama", "github.com/Shopify/sarama": "sarama", "github.com/twmb/franz-go/pkg/kgo": "franz-go",
	"github.com/segmentio/kafka-go": "kafka-go", "github.com/aws/aws-sdk-go-v2/service/sns": "sns",
	"github.com/aws/aws-sdk-go-v2/service/sqs": "sqs", "cloud.google.com/go/pubsub": "pubsub",
	"cloud.google.com/go/pubsub/v2": "pubsub", "github.com/ThreeDotsLabs/watermill/message": "watermill",
}

// libCoverage counts a signal's recognised call sites per library and keeps those whose table
// or topic could not be resolved. A nil *libCoverage records nothing.
type libCoverage struct {
	kind       string
	uses       map[string]int
	unresolved []facts.Unresolved
}

func newLibCoverage(kind string) *libCoverage {
	return &libCoverage{kind: kind, uses: map[string]int{}}
}

// check records one call site of the library of pkgPath; resolved says whether its table or
// topic was resolved.
func (c *libCoverage) check(pkgPath, call string, site facts.Site, resolved bool, why string) {
	if c == nil {
		return
	}
	lib, ok := libNames[pkgPath]
	if !ok {
		return
	}
	c.uses[lib]++
	if !resolved && len(c.unresolved) < maxUnresolved && site.File != "" {
		c.unresolved = append(c.unresolved, facts.Unresolved{Kind: c.kind, Site: site, Call: call, Why: why})
	}
}

// checkBus records a call of the module's in-process bus.
func (c *libCoverage) checkBus(fn *types.Func, site facts.Site, resolved bool) {
	if c == nil {
		return
	}
	c.uses["in-process bus "+fn.Pkg().Path()]++
	if !resolved && len(c.unresolved) < maxUnresolved && site.File != "" {
		c.unresolved = append(c.unresolved, facts.Unresolved{Kind: c.kind, Site: site, Call: callName(fn), Why: whyTopic})
	}
}

const (
	whyTable = "the table name is not a constant anywhere in the module"
	whyTopic = "the topic is not a constant anywhere in the module"
)

func (c *libCoverage) emit(f *facts.Facts) {
	if c == nil {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(c.uses)) {
		f.Coverage.Add(name, c.kind, c.uses[name])
	}
	f.Coverage.Unresolved = append(f.Coverage.Unresolved, c.unresolved...)
}

// callName is a callee as "pkg.Type.Method" or "pkg.Func".
func callName(fn *types.Func) string {
	if fn == nil {
		return ""
	}
	name := fn.Name()
	if r := recvName(fn); r != "" {
		name = r + "." + name
	}
	if fn.Pkg() != nil {
		name = fn.Pkg().Name() + "." + name
	}
	return name
}
