# Recipe scaling
recipe = {"flour_g": 500, "sugar_g": 200, "eggs": 3, "milk_ml": 250}
original_servings = 4

def scale_recipe(ingredients, factor):
    scaled = {}
    for name, amount in ingredients.items():
        scaled[name] = round(amount * factor)
    return scaled

target_servings = 10
factor = target_servings / original_servings
scaled = scale_recipe(recipe, factor)
for name in sorted(scaled):
    print(f"{name}: {scaled[name]}")
