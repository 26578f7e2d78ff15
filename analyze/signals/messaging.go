package signals

import (
	"context"
	"go/ast"
	"go/types"
	"sort"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"

	"golang.org/x/tools/go/packages"
)

func init() { register(Messaging{}) }

// Messaging is the signal "package A publishes to (or consumes from) topic T". It produces
// Facts.Topics and Facts.Buses; clustering derives an async package→package coupling from a
// publisher and a consumer of the same topic, weaker than a call (see graph.DefaultSignals).
//
// Libraries are recognised by the import path of the callee's package (go/types), never by
// names alone:
//   - NATS (github.com/nats-io/nats.go and its jetstream package): Publish, PublishAsync,
//     PublishRequest and RequestWithContext publish to their subject; Subscribe,
//     SubscribeSync, QueueSubscribe(Sync), ChanSubscribe, ChanQueueSubscribe and
//     PullSubscribe consume it; a Msg{Subject} literal publishes (PublishMsg), a JetStream
//     ConsumerConfig{FilterSubject(s)} consumes.
//   - AMQP (github.com/rabbitmq/amqp091-go, github.com/streadway/amqp): Publish and
//     PublishWithContext publish to "exchange/routing-key" (the key alone on the default
//     exchange, the exchange alone for an empty key); Consume reads a queue, resolved through
//     the module's QueueBind calls to the exchange/key it is bound to.
//   - Kafka: sarama's ProducerMessage{Topic}, ConsumePartition and ConsumerGroup.Consume;
//     franz-go's kgo.Record{Topic} and kgo.ConsumeTopics; segmentio/kafka-go's Writer{Topic},
//     Message{Topic} and ReaderConfig{Topic, GroupTopics}.
//   - AWS (aws-sdk-go-v2): sns.PublishInput{TopicArn}, sqs.SendMessage(Batch)Input{QueueUrl}
//     publish, sqs.ReceiveMessageInput{QueueUrl} consumes; the topic is the ARN's or URL's last
//     segment.
//   - Google Pub/Sub: Client.Topic (v1) and Client.Publisher (v2) publish, Client.Subscription
//     and Client.Subscriber consume.
//   - Redis pub/sub (go-redis v8, v9): Publish and SPublish publish to a channel, Subscribe and
//     SSubscribe consume.
//   - Watermill (github.com/ThreeDotsLabs/watermill/message): Publisher.Publish,
//     Subscriber.Subscribe, and Router.AddHandler / AddNoPublisherHandler / AddConsumerHandler.
//   - An in-process bus: a package of the module that declares an exported Publish and an
//     exported Subscribe (functions or methods) whose first string parameter (after a
//     context) is the topic, called from other packages. Its callers publish and consume; the
//     bus package itself is listed in Facts.Buses.
//
// A topic is followed from constants the same way as a table name (see Data); a topic that is
// not a constant anywhere is not seen.
type Messaging struct{}

// Name returns SignalMessaging.
func (Messaging) Name() string { return facts.SignalMessaging }

// Doc describes the signal.
func (Messaging) Doc() string {
	return "topics, subjects and queues each package publishes or consumes (NATS, AMQP, Kafka, SNS/SQS, Pub/Sub, Watermill, in-process buses): async edges"
}

// Weight is 0.2: a package publishing to a topic another consumes (see graph.buildAsync). Events
// are how services talk when they are apart, so an async edge binds less than any sync use: 0.2
// for one shared topic against at least 1.25 for an import with one call.
func (Messaging) Weight() float64 { return 0.2 }

// Undirected: a topic one package publishes and another reads: coupled in time, not by a call.
func (Messaging) Undirected() bool { return true }

// Messaging systems, as in TopicUse.System.
const (
	sysBus       = "bus"
	sysNATS      = "nats"
	sysAMQP      = "amqp"
	sysKafka     = "kafka"
	sysSNS       = "sns"
	sysSQS       = "sqs"
	sysPubSub    = "pubsub"
	sysWatermill = "watermill"
	sysRedis     = "redis"
)

// msgArg says which argument of a recognised call names a topic and what the call does with it.
type msgArg struct {
	system, role string
	arg          int  // index of the topic argument
	key          int  // AMQP: index of the routing key argument, 0 when none
	rest         bool // the topic arguments are arg and every argument after it (variadic)
	slice        bool // the argument is a []string of topics
}

const (
	natsPkg    = "github.com/nats-io/nats.go"
	natsJSPkg  = "github.com/nats-io/nats.go/jetstream"
	amqpPkg    = "github.com/rabbitmq/amqp091-go"
	amqpOldPkg = "github.com/streadway/amqp"
)

var natsCalls = map[string][]msgArg{
	"Publish": {{system: sysNATS, role: facts.Publish}}, "PublishAsync": {{system: sysNATS, role: facts.Publish}},
	"PublishRequest": {{system: sysNATS, role: facts.Publish}}, "RequestWithContext": {{system: sysNATS, role: facts.Publish, arg: 1}},
	"Subscribe": {{system: sysNATS, role: facts.Consume}}, "SubscribeSync": {{system: sysNATS, role: facts.Consume}},
	"QueueSubscribe": {{system: sysNATS, role: facts.Consume}}, "QueueSubscribeSync": {{system: sysNATS, role: facts.Consume}},
	"ChanSubscribe": {{system: sysNATS, role: facts.Consume}}, "ChanQueueSubscribe": {{system: sysNATS, role: facts.Consume}},
	"PullSubscribe": {{system: sysNATS, role: facts.Consume}},
}

var amqpCalls = map[string][]msgArg{
	"Publish":            {{system: sysAMQP, role: facts.Publish, arg: 0, key: 1}},
	"PublishWithContext": {{system: sysAMQP, role: facts.Publish, arg: 1, key: 2}},
	"Consume":            {{system: sysAMQP, role: facts.Consume}},
	"ConsumeWithContext": {{system: sysAMQP, role: facts.Consume, arg: 1}},
}

// msgCalls maps a package path to the calls of it that publish or consume.
var msgCalls = map[string]map[string][]msgArg{
	natsPkg: natsCalls,
	natsJSPkg: {
		"Publish": {{system: sysNATS, role: facts.Publish, arg: 1}}, "PublishAsync": {{system: sysNATS, role: facts.Publish}},
	},
	amqpPkg:    amqpCalls,
	amqpOldPkg: amqpCalls,
	"github.com/IBM/sarama": {
		"ConsumePartition": {{system: sysKafka, role: facts.Consume}},
		"Consume":          {{system: sysKafka, role: facts.Consume, arg: 1, slice: true}},
	},
	"github.com/twmb/franz-go/pkg/kgo": {
		"ConsumeTopics": {{system: sysKafka, role: facts.Consume, rest: true}},
	},
	"cloud.google.com/go/pubsub": {
		"Topic": {{system: sysPubSub, role: facts.Publish}}, "Subscription": {{system: sysPubSub, role: facts.Consume}},
	},
	"cloud.google.com/go/pubsub/v2": {
		"Publisher": {{system: sysPubSub, role: facts.Publish}}, "Subscriber": {{system: sysPubSub, role: facts.Consume}},
	},
	"github.com/ThreeDotsLabs/watermill/message": {
		"Publish":               {{system: sysWatermill, role: facts.Publish}},
		"Subscribe":             {{system: sysWatermill, role: facts.Consume, arg: 1}},
		"AddHandler":            {{system: sysWatermill, role: facts.Consume, arg: 1}, {system: sysWatermill, role: facts.Publish, arg: 3}},
		"AddNoPublisherHandler": {{system: sysWatermill, role: facts.Consume, arg: 1}},
		"AddConsumerHandler":    {{system: sysWatermill, role: facts.Consume, arg: 1}},
	},
}

func init() {
	msgCalls["github.com/Shopify/sarama"] = msgCalls["github.com/IBM/sarama"]
	redis := map[string][]msgArg{
		"Publish": {{system: sysRedis, role: facts.Publish, arg: 1}}, "SPublish": {{system: sysRedis, role: facts.Publish, arg: 1}},
		"Subscribe": {{system: sysRedis, role: facts.Consume, arg: 1, rest: true}}, "SSubscribe": {{system: sysRedis, role: facts.Consume, arg: 1, rest: true}},
	}
	msgCalls[redisPkg], msgCalls[redisV8Pkg] = redis, redis
}

// msgField is a struct field that names a topic in a composite literal.
type msgField struct {
	system, role string
	slice        bool
}

// msgFields maps package path → type name → field → what the field names.
var msgFields = map[string]map[string]map[string]msgField{
	"github.com/IBM/sarama":            {"ProducerMessage": {"Topic": {sysKafka, facts.Publish, false}}},
	"github.com/Shopify/sarama":        {"ProducerMessage": {"Topic": {sysKafka, facts.Publish, false}}},
	"github.com/twmb/franz-go/pkg/kgo": {"Record": {"Topic": {sysKafka, facts.Publish, false}}},
	"github.com/segmentio/kafka-go": {
		"Writer":       {"Topic": {sysKafka, facts.Publish, false}},
		"Message":      {"Topic": {sysKafka, facts.Publish, false}},
		"ReaderConfig": {"Topic": {sysKafka, facts.Consume, false}, "GroupTopics": {sysKafka, facts.Consume, true}},
	},
	natsPkg: {
		"Msg":            {"Subject": {sysNATS, facts.Publish, false}},
		"ConsumerConfig": {"FilterSubject": {sysNATS, facts.Consume, false}, "FilterSubjects": {sysNATS, facts.Consume, true}},
	},
	natsJSPkg: {
		"ConsumerConfig":        {"FilterSubject": {sysNATS, facts.Consume, false}, "FilterSubjects": {sysNATS, facts.Consume, true}},
		"OrderedConsumerConfig": {"FilterSubjects": {sysNATS, facts.Consume, true}},
	},
	"github.com/aws/aws-sdk-go-v2/service/sns": {"PublishInput": {"TopicArn": {sysSNS, facts.Publish, false}}},
	"github.com/aws/aws-sdk-go-v2/service/sqs": {
		"SendMessageInput":      {"QueueUrl": {sysSQS, facts.Publish, false}},
		"SendMessageBatchInput": {"QueueUrl": {sysSQS, facts.Publish, false}},
		"ReceiveMessageInput":   {"QueueUrl": {sysSQS, facts.Consume, false}},
	},
}

// Collect adds the module's topic uses to f.Topics and its in-process buses to f.Buses.
func (Messaging) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	fl := newFlow(m)
	buses := findBuses(m)
	mc := &msgCollector{fl: fl, buses: buses, topics: map[[4]string]*facts.TopicUse{}, bindings: map[string][]string{}, cov: newLibCoverage(kindMessaging)}
	// AMQP bindings first, so that a Consume anywhere sees every QueueBind.
	walkModule(ctx, m, mc.learnBinding)
	walkModule(ctx, m, mc.site)
	for _, b := range buses {
		f.Buses = append(f.Buses, b.path)
	}
	sort.Strings(f.Buses)
	f.Topics = append(f.Topics, mc.sorted()...)
	mc.cov.emit(f)
	return ctx.Err()
}

type msgCollector struct {
	fl       *flow
	buses    map[string]*bus
	topics   map[[4]string]*facts.TopicUse // package, system, topic, role
	bindings map[string][]string           // AMQP queue → "exchange/key" topics bound to it
	cov      *libCoverage
	added    int // topic uses recorded so far: a site that adds none is unresolved
}

// visitFn is called on every node of the module's own code, with the package's type info, its
// import path and the function declaration the node is in (nil outside one).
type visitFn func(n ast.Node, info *types.Info, pkg string, encl *types.Func)

// walkModule calls visit on every node of every declaration of the module's packages.
func walkModule(ctx context.Context, m *load.Module, visit visitFn) {
	m.Each(func(path string, p *packages.Package) {
		info := p.TypesInfo
		if info == nil || ctx.Err() != nil {
			return
		}
		for _, file := range p.Syntax {
			for _, decl := range file.Decls {
				encl := enclosingFunc(info, decl)
				ast.Inspect(decl, func(n ast.Node) bool {
					visit(n, info, path, encl)
					return true
				})
			}
		}
	})
}

func (mc *msgCollector) add(u facts.TopicUse, site facts.Site) {
	if u.Topic == "" {
		return
	}
	mc.added++
	k := [4]string{u.Package, u.System, u.Topic, u.Role}
	cur := mc.topics[k]
	if cur == nil {
		cur = &facts.TopicUse{Package: u.Package, Topic: u.Topic, System: u.System, Role: u.Role}
		mc.topics[k] = cur
	}
	if site.File != "" && len(cur.Sites) < facts.MaxSites && !hasSite(cur.Sites, site) {
		cur.Sites = append(cur.Sites, site)
	}
}

func (mc *msgCollector) sorted() []facts.TopicUse {
	out := make([]facts.TopicUse, 0, len(mc.topics))
	for _, u := range mc.topics {
		sortSites(u.Sites)
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return topicLess(out[i], out[j]) })
	return out
}

func topicLess(a, b facts.TopicUse) bool {
	if a.Package != b.Package {
		return a.Package < b.Package
	}
	if a.System != b.System {
		return a.System < b.System
	}
	if a.Topic != b.Topic {
		return a.Topic < b.Topic
	}
	return a.Role < b.Role
}

// learnBinding records AMQP QueueBind(queue, key, exchange, ...) calls with constant names.
func (mc *msgCollector) learnBinding(n ast.Node, info *types.Info, pkg string, encl *types.Func) {
	call, ok := n.(*ast.CallExpr)
	if !ok || len(call.Args) < 3 {
		return
	}
	fn := load.CalleeFunc(info, call)
	if fn == nil || fn.Name() != "QueueBind" || fn.Pkg() == nil || (fn.Pkg().Path() != amqpPkg && fn.Pkg().Path() != amqpOldPkg) {
		return
	}
	site := mc.fl.m.Site(call.Lparen)
	for _, q := range mc.fl.bind(call.Args[0], info, pkg, site, encl, 0) {
		for _, k := range mc.fl.bind(call.Args[1], info, pkg, site, encl, 0) {
			for _, x := range mc.fl.bind(call.Args[2], info, pkg, site, encl, 0) {
				t := amqpTopic(x.value, k.value)
				if !contains(mc.bindings[q.value], t) {
					mc.bindings[q.value] = append(mc.bindings[q.value], t)
				}
			}
		}
	}
}

// amqpTopic names what is published to exchange with routing key: the key alone on the
// default exchange, the exchange alone for an empty key (fanout), else "exchange/key".
func amqpTopic(exchange, key string) string {
	switch {
	case exchange == "":
		return key
	case key == "":
		return exchange
	}
	return exchange + "/" + key
}

// site records the topic uses at node n.
func (mc *msgCollector) site(n ast.Node, info *types.Info, pkg string, encl *types.Func) {
	switch x := n.(type) {
	case *ast.CallExpr:
		fn := load.CalleeFunc(info, x)
		if fn == nil || fn.Pkg() == nil {
			return
		}
		if b := mc.buses[fn.Pkg().Path()]; b != nil && pkg != b.path {
			if role, idx := b.role(fn); role != "" && idx < len(x.Args) {
				before := mc.added
				mc.recordCall(sysBus, role, x, idx, info, pkg, encl)
				mc.cov.checkBus(fn, mc.fl.m.Site(x.Lparen), mc.added > before)
			}
			return
		}
		rules := msgCalls[fn.Pkg().Path()][fn.Name()]
		if len(rules) > 0 && rules[0].arg < len(x.Args) {
			before := mc.added
			defer func() {
				mc.cov.check(fn.Pkg().Path(), callName(fn), mc.fl.m.Site(x.Lparen), mc.added > before, whyTopic)
			}()
		}
		for _, a := range rules {
			if a.arg >= len(x.Args) {
				continue
			}
			switch {
			case a.system == sysAMQP && a.role == facts.Publish && a.key < len(x.Args):
				mc.recordAMQP(x.Args[a.arg], x.Args[a.key], info, pkg, encl)
			case a.system == sysAMQP:
				mc.recordQueue(x.Args[a.arg], info, pkg, encl)
			case a.rest:
				for _, e := range x.Args[a.arg:] {
					mc.record(a.system, a.role, e, info, pkg, encl)
				}
			case a.slice:
				mc.recordSlice(a.system, a.role, x.Args[a.arg], info, pkg, encl)
			default:
				mc.recordCall(a.system, a.role, x, a.arg, info, pkg, encl)
			}
		}
	case *ast.CompositeLit:
		named := load.NamedOf(info.TypeOf(x))
		if named == nil || named.Obj().Pkg() == nil {
			return
		}
		fields := msgFields[named.Obj().Pkg().Path()][named.Obj().Name()]
		if fields == nil {
			return
		}
		for key, value := range keyedFields(x) {
			fd, ok := fields[key]
			if !ok {
				continue
			}
			before := mc.added
			if fd.slice {
				mc.recordSlice(fd.system, fd.role, value, info, pkg, encl)
			} else {
				mc.record(fd.system, fd.role, value, info, pkg, encl)
			}
			mc.cov.check(named.Obj().Pkg().Path(), named.Obj().Pkg().Name()+"."+named.Obj().Name()+"{"+key+"}", mc.fl.m.Site(value.Pos()), mc.added > before, whyTopic)
		}
	}
}

func (mc *msgCollector) record(system, role string, e ast.Expr, info *types.Info, pkg string, encl *types.Func) {
	for _, b := range mc.fl.bind(e, info, pkg, mc.fl.m.Site(e.Pos()), encl, 0) {
		name := b.value
		if system == sysSNS || system == sysSQS {
			name = lastSegment(name)
		}
		mc.add(facts.TopicUse{Package: b.pkg, Topic: name, System: system, Role: role}, b.site)
	}
}

// recordCall records the topic argument idx of call. A subscription whose handler is a
// function or method of another of the module's packages (bus.Subscribe(topic,
// shipping.OnOrderPlaced) in a main) is that package's consumption: the main only wires it.
func (mc *msgCollector) recordCall(system, role string, call *ast.CallExpr, idx int, info *types.Info, pkg string, encl *types.Func) {
	if role == facts.Consume {
		var rest []ast.Expr
		rest = append(rest, call.Args[:idx]...)
		rest = append(rest, call.Args[idx+1:]...)
		if hs := mc.handlerPkgs(rest, info, pkg); len(hs) > 0 {
			site := mc.fl.m.Site(call.Args[idx].Pos())
			for _, val := range mc.fl.resolve(call.Args[idx], info) {
				for _, h := range hs {
					mc.add(facts.TopicUse{Package: h, Topic: val, System: system, Role: role}, site)
				}
			}
			return
		}
	}
	mc.record(system, role, call.Args[idx], info, pkg, encl)
}

// handlerPkgs returns the module packages, other than pkg, declaring the functions or methods
// args pass as values (not call): the handlers of a subscription.
func (mc *msgCollector) handlerPkgs(args []ast.Expr, info *types.Info, pkg string) []string {
	var out []string
	for _, a := range args {
		called := map[ast.Expr]bool{}
		ast.Inspect(a, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				return false // a closure is the caller's own handler
			case *ast.CallExpr:
				f := ast.Unparen(x.Fun)
				if ix, ok := f.(*ast.IndexExpr); ok { // Typed[T](h)
					f = ix.X
				}
				called[f] = true
				if sel, ok := f.(*ast.SelectorExpr); ok {
					called[sel.Sel] = true
				}
			case *ast.Ident, *ast.SelectorExpr:
				if called[x.(ast.Expr)] {
					return true
				}
				id, _ := x.(*ast.Ident)
				if sel, ok := x.(*ast.SelectorExpr); ok {
					id = sel.Sel
				}
				fn, ok := info.Uses[id].(*types.Func)
				if !ok || fn.Pkg() == nil {
					return true
				}
				path := fn.Pkg().Path()
				if _, ok := mc.fl.m.Own(fn.Pkg()); ok && path != pkg && mc.buses[path] == nil && !contains(out, path) {
					out = append(out, path)
				}
				return false
			}
			return true
		})
	}
	return out
}

func (mc *msgCollector) recordSlice(system, role string, e ast.Expr, info *types.Info, pkg string, encl *types.Func) {
	if lit, ok := ast.Unparen(e).(*ast.CompositeLit); ok {
		for _, elt := range lit.Elts {
			mc.record(system, role, elt, info, pkg, encl)
		}
	}
}

func (mc *msgCollector) recordAMQP(exchange, key ast.Expr, info *types.Info, pkg string, encl *types.Func) {
	site := mc.fl.m.Site(exchange.Pos())
	for _, x := range mc.fl.bind(exchange, info, pkg, site, encl, 0) {
		for _, k := range mc.fl.bind(key, info, pkg, site, encl, 0) {
			if x.pkg == k.pkg {
				mc.add(facts.TopicUse{Package: x.pkg, Topic: amqpTopic(x.value, k.value), System: sysAMQP, Role: facts.Publish}, x.site)
			}
		}
	}
}

// recordQueue records a consumer of an AMQP queue: of the exchange/keys bound to it, or of
// the queue itself (the default exchange) when the module binds it nowhere.
func (mc *msgCollector) recordQueue(e ast.Expr, info *types.Info, pkg string, encl *types.Func) {
	for _, b := range mc.fl.bind(e, info, pkg, mc.fl.m.Site(e.Pos()), encl, 0) {
		topics := mc.bindings[b.value]
		if len(topics) == 0 {
			topics = []string{b.value}
		}
		for _, t := range topics {
			mc.add(facts.TopicUse{Package: b.pkg, Topic: t, System: sysAMQP, Role: facts.Consume}, b.site)
		}
	}
}

// lastSegment returns an ARN's or URL's last segment: the topic or queue name.
func lastSegment(s string) string {
	if i := strings.LastIndexAny(s, ":/"); i >= 0 && i+1 < len(s) {
		return s[i+1:]
	}
	return s
}

// bus is an in-process event bus of the module: its publish and subscribe functions.
type bus struct {
	path string
	pub  map[*types.Func]int // function → index of its topic parameter
	sub  map[*types.Func]int
}

func (b *bus) role(fn *types.Func) (string, int) {
	fn = fn.Origin()
	if i, ok := b.pub[fn]; ok {
		return facts.Publish, i
	}
	if i, ok := b.sub[fn]; ok {
		return facts.Consume, i
	}
	return "", 0
}

// findBuses returns the module's packages that declare an exported Publish and an exported
// Subscribe taking a topic and are called from another package, by path.
func findBuses(m *load.Module) map[string]*bus {
	cands := map[string]*bus{}
	m.Each(func(path string, p *packages.Package) {
		if p.Types == nil || p.Name == "main" {
			return
		}
		b := &bus{path: path, pub: map[*types.Func]int{}, sub: map[*types.Func]int{}}
		consider := func(fn *types.Func) {
			idx := topicParam(fn)
			if idx < 0 {
				return
			}
			switch fn.Name() {
			case "Publish":
				b.pub[fn] = idx
			case "Subscribe":
				b.sub[fn] = idx
			}
		}
		scope := p.Types.Scope()
		for _, name := range scope.Names() {
			obj := scope.Lookup(name)
			if !obj.Exported() {
				continue
			}
			switch o := obj.(type) {
			case *types.Func:
				consider(o)
			case *types.TypeName:
				named, ok := o.Type().(*types.Named)
				if !ok {
					continue
				}
				for i := range named.NumMethods() {
					consider(named.Method(i))
				}
				if it, ok := named.Underlying().(*types.Interface); ok {
					for i := range it.NumMethods() {
						consider(it.Method(i))
					}
				}
			}
		}
		if len(b.pub) > 0 && len(b.sub) > 0 {
			cands[path] = b
		}
	})
	if len(cands) == 0 {
		return cands
	}
	// Keep the candidates another package calls.
	used := map[string]bool{}
	m.Each(func(path string, p *packages.Package) {
		if p.TypesInfo == nil {
			return
		}
		for id, obj := range p.TypesInfo.Uses {
			_ = id
			fn, ok := obj.(*types.Func)
			if !ok || fn.Pkg() == nil || fn.Pkg().Path() == path {
				continue
			}
			if b := cands[fn.Pkg().Path()]; b != nil {
				if r, _ := b.role(fn); r != "" {
					used[b.path] = true
				}
			}
		}
	})
	for path := range cands {
		if !used[path] {
			delete(cands, path)
		}
	}
	return cands
}

// topicParam returns the index of fn's topic parameter: its first parameter, or its second
// after a context.Context, when that is of a string type; -1 otherwise.
func topicParam(fn *types.Func) int {
	sig, ok := fn.Type().(*types.Signature)
	if !ok {
		return -1
	}
	ps := sig.Params()
	i := 0
	if ps.Len() > 0 && isContext(ps.At(0).Type()) {
		i = 1
	}
	if i < ps.Len() {
		if b, ok := ps.At(i).Type().Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
			return i
		}
	}
	return -1
}

func isContext(t types.Type) bool {
	n := load.NamedOf(t)
	return n != nil && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}
