// Package store keeps user accounts in the shared single table:
//
//	pk USER#<id>      sk PROFILE   the account
//	pk EMAIL#<email>  sk EMAIL     uniqueness guard for the email address
//
// The orders store also writes the PROFILE item (order_count, last_order_at), and the orders
// handler and the notifications service read accounts through this package.
package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/models"
	"example.com/shop/platform/dynamo"
	"example.com/shop/users"
)

// Key prefixes and sort keys of the users' items.
const (
	UserPrefix  = "USER#"
	EmailPrefix = "EMAIL#"
	ProfileSK   = "PROFILE"
	emailSK     = "EMAIL"
)

// UserKey is the key of a user's PROFILE item.
func UserKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{dynamo.PK: dynamo.S(UserPrefix + id), dynamo.SK: dynamo.S(ProfileSK)}
}

type profileItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Entity string `dynamodbav:"entity"`
	models.User
}

// Repo is the DynamoDB users repository.
type Repo struct {
	DB    *dynamodb.Client
	Table string
}

var _ users.Repository = (*Repo)(nil)

// Create stores a new user and claims its email in one transaction.
func (r *Repo) Create(ctx context.Context, u models.User) error {
	item, err := attributevalue.MarshalMap(profileItem{PK: UserPrefix + u.ID, SK: ProfileSK, Entity: "user", User: u})
	if err != nil {
		return fmt.Errorf("users store: encoding %s: %w", u.ID, err)
	}
	_, err = r.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(r.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{
			TableName: aws.String(r.Table),
			Item: map[string]types.AttributeValue{
				dynamo.PK: dynamo.S(EmailPrefix + strings.ToLower(u.Email)), dynamo.SK: dynamo.S(emailSK),
				"entity": dynamo.S("email"), "user_id": dynamo.S(u.ID),
			},
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}},
	}})
	if dynamo.IsConditionFailed(err) {
		return fmt.Errorf("%w: %s", users.ErrEmailTaken, u.Email)
	}
	if err != nil {
		return fmt.Errorf("users store: create %s: %w", u.ID, err)
	}
	return nil
}

// Get returns the user with the given id.
func (r *Repo) Get(ctx context.Context, id string) (models.User, error) {
	out, err := r.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.Table), Key: UserKey(id)})
	if err != nil {
		return models.User{}, fmt.Errorf("users store: get %s: %w", id, err)
	}
	if out.Item == nil {
		return models.User{}, fmt.Errorf("%w: %s", users.ErrNotFound, id)
	}
	var it profileItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return models.User{}, fmt.Errorf("users store: decoding %s: %w", id, err)
	}
	return it.User, nil
}

// UpdateProfile sets the name and/or the address of an existing user.
func (r *Repo) UpdateProfile(ctx context.Context, id, name string, addr *models.Address) (models.User, error) {
	var sets []string
	values := map[string]types.AttributeValue{}
	names := map[string]string{}
	if name != "" {
		sets = append(sets, "#n = :n")
		names["#n"] = "name"
		values[":n"] = dynamo.S(name)
	}
	if addr != nil {
		av, err := attributevalue.Marshal(addr)
		if err != nil {
			return models.User{}, fmt.Errorf("users store: encoding address: %w", err)
		}
		sets = append(sets, "address = :a")
		values[":a"] = av
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(r.Table),
		Key:                       UserKey(id),
		UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ")),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	out, err := r.DB.UpdateItem(ctx, in)
	if dynamo.IsConditionFailed(err) {
		return models.User{}, fmt.Errorf("%w: %s", users.ErrNotFound, id)
	}
	if err != nil {
		return models.User{}, fmt.Errorf("users store: update %s: %w", id, err)
	}
	var it profileItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return models.User{}, fmt.Errorf("users store: decoding %s: %w", id, err)
	}
	return it.User, nil
}
